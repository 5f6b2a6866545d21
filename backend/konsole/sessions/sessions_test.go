package sessions

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/testkit/claudetest"
	"github.com/konui/konui/backend/testkit/fakeapi"
)

// The tests of this package drive a Manager directly, over a real SQLite
// store and event log, with the real Claude Code CLI on the fake Messages
// API (the pinned CLI of .tools/claude; KONUI_TEST_CLAUDE overrides it), or
// with this test binary playing a misbehaving CLI (TestMain). They cannot
// use backend/testkit/konsoletest, which imports this package through Konsole.

// TestMain lets the test binary play an agent (the helper-process
// pattern): a Manager runs it instead of the CLI when KONUI_SESSIONS_AGENT
// is set (see fakeAgent in agent_test.go).
func TestMain(m *testing.M) {
	if mode := os.Getenv("KONUI_SESSIONS_AGENT"); mode != "" {
		os.Exit(fakeAgent(mode))
	}
	os.Exit(m.Run())
}

// rig is one Manager over its own data folder; the agents' HOME and the
// fake API may be shared between rigs (a second Konsole on the same HOME).
type rig struct {
	t    testing.TB
	m    *Manager
	st   *store.Store
	log  *eventlog.Log
	data string
	home string
	work string
	fake *fakeapi.Server
}

type rigOptions struct {
	data, home string
	fake       *fakeapi.Server
	// agent runs instead of the CLI with these environment entries added.
	agent    string
	agentEnv []string
	// store wraps the store the Manager writes sessions to.
	store func(*store.Store) sessionStore
	// controlTimeout is ManagerConfig.ControlTimeout.
	controlTimeout time.Duration
	// prepare is ManagerConfig.Prepare: a step of every agent start.
	prepare func(sessionID string, opts *claude.Options)
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, data: o.data, home: o.home, fake: o.fake}
	if r.data == "" {
		r.data = t.TempDir()
	}
	if r.home == "" {
		r.home = t.TempDir()
	}
	r.work = filepath.Join(r.home, "work")
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		t.Fatal(err)
	}
	if r.fake == nil {
		f, err := fakeapi.Start("127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		r.fake = f
	}
	var err error
	if r.st, err = store.Open(filepath.Join(r.data, "konsole.db")); err != nil {
		t.Fatal(err)
	}
	if r.log, err = eventlog.NewLog(r.st, 0, nil); err != nil {
		t.Fatal(err)
	}
	env := claudetest.Env(r.home, r.fake.URL)
	bin := claudetest.Path(t)
	if o.agent != "" {
		if bin, err = os.Executable(); err != nil {
			t.Fatal(err)
		}
		env = append(env, "KONUI_SESSIONS_AGENT="+o.agent)
	}
	env = append(env, o.agentEnv...)
	cfg := ManagerConfig{Claude: bin, Env: env, DataDir: r.data, StopGrace: time.Second, EscalateStep: 200 * time.Millisecond, ControlTimeout: o.controlTimeout, Prepare: o.prepare,
		Logger: slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	var wrap sessionStore = r.st
	if o.store != nil {
		wrap = o.store(r.st)
	}
	if r.m, err = newManager(cfg, r.log, wrap); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.close)
	return r
}

// close stops the Manager, its log and store (a Konsole that stops); it
// may run more than once.
func (r *rig) close() {
	if r.m == nil {
		return
	}
	r.m.Close()
	r.log.Close()
	r.st.Close()
	r.m = nil
}

type testLog struct{ t testing.TB }

func (w testLog) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// create starts a session in the rig's work folder.
func (r *rig) create(req CreateRequest) Session {
	r.t.Helper()
	if req.Cwd == "" && req.Resume == "" {
		req.Cwd = r.work
	}
	s, err := r.m.Create(req)
	if err != nil {
		r.t.Fatalf("create a session: %v", err)
	}
	if s.Status == StatusError {
		r.t.Fatalf("the session did not start: %s", s.LastError)
	}
	return s
}

// turn sends a prompt and returns its turn.completed event's data.
func (r *rig) turn(sessionID, text string) map[string]any {
	r.t.Helper()
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		r.t.Fatal(err)
	}
	defer sub.Close()
	out, err := r.m.PromptOrQueue(sessionID, PromptRequest{Text: text})
	if err != nil {
		r.t.Fatalf("prompt %q: %v", text, err)
	}
	ev := r.until(sub, 90*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvTurnCompleted && row.TurnID == out.TurnID
	})
	return ev.data(r.t)
}

// event is one event of the log, as its subscribers get it.
type event struct {
	store.EventRow
}

func (e event) data(t testing.TB) map[string]any {
	var ev struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(e.Line, &ev); err != nil {
		t.Fatalf("event %d: %v", e.ID, err)
	}
	return ev.Data
}

// until reads sub until an event matches, failing the test after timeout.
func (r *rig) until(sub *eventlog.Subscription, timeout time.Duration, match func(store.EventRow) bool) event {
	r.t.Helper()
	deadline := time.After(timeout)
	last, _ := sub.Replay(func(row store.EventRow) error {
		return nil
	})
	for {
		select {
		case row, ok := <-sub.C():
			if !ok {
				r.t.Fatal("the event log ended")
			}
			if row.ID <= last {
				continue
			}
			last = row.ID
			if match(row) {
				return event{row}
			}
		case <-sub.Lagged():
			r.t.Fatal("the test's subscriber fell behind")
		case <-deadline:
			r.t.Fatalf("no matching event within %v", timeout)
		}
	}
}

// events returns every stored event of a session, oldest first.
func (r *rig) events(sessionID string) []event {
	r.t.Helper()
	r.log.Flush()
	rows, err := r.st.EventsAfter(0, 1<<62, 1_000_000)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []event
	for _, row := range rows {
		if row.SessionID == sessionID {
			out = append(out, event{row})
		}
	}
	return out
}

var _ io.Writer = testLog{}

// snapshotOf is session id as of now.
func (m *Manager) snapshotOf(t testing.TB, id string) Session {
	t.Helper()
	s, err := m.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
