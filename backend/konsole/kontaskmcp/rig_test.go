package kontaskmcp_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/testkit/claudetest"
	"github.com/konui/konui/backend/testkit/fakeapi"
	"github.com/konui/konui/backend/testkit/mcptest"
)

// The tests of this package run a Service as Konsole does, without
// Konsole's HTTP layer: a real SQLite store and event log, a real sessions
// Manager whose agents are the real Claude Code CLI on the fake Messages
// API (so a session's MCP token is the one its agent got), and /mcp served
// by a real HTTP server that the MCP Go SDK's client calls.

// rig is one Service with its store, log, Manager and /mcp server.
type rig struct {
	t   *testing.T
	svc *kontaskmcp.Service
	st  *store.Store
	log *eventlog.Log
	mgr *sessions.Manager
	srv *httptest.Server
	dir string

	mu     sync.Mutex
	tokens map[string]string // the MCP token each session's agent got last
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newRig(t *testing.T) *rig {
	t.Helper()
	r := &rig{t: t, dir: t.TempDir(), tokens: map[string]string{}}
	var err error
	if r.st, err = store.Open(filepath.Join(r.dir, "konsole.db")); err != nil {
		t.Fatal(err)
	}
	if r.log, err = eventlog.NewLog(r.st, 0, nil); err != nil {
		t.Fatal(err)
	}
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(r.dir, "home")
	if err := os.MkdirAll(filepath.Join(home, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := claudetest.Env(home, fake.URL)
	// The Manager and the Service need each other, as in Konsole: the
	// Manager's Prepare is the Service's PrepareAgent.
	var svc *kontaskmcp.Service
	prepare := func(id string, opts *claude.Options) {
		svc.PrepareAgent(id, opts)
		for _, kv := range opts.Env {
			if tok, ok := strings.CutPrefix(kv, kontaskmcp.MCPTokenEnv+"="); ok {
				r.mu.Lock()
				r.tokens[id] = tok
				r.mu.Unlock()
			}
		}
	}
	r.mgr, err = sessions.NewManager(sessions.ManagerConfig{Claude: claudetest.Path(t), Env: env, DataDir: r.dir, Prepare: prepare,
		StopGrace: time.Second, EscalateStep: 200 * time.Millisecond, Logger: quiet()}, r.log, r.st)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	r.srv = httptest.NewServer(mux)
	svc = kontaskmcp.New(kontaskmcp.Config{Store: r.st, Log: r.log, Sessions: r.mgr, URL: func() string { return r.srv.URL + "/mcp" },
		Version: "test", Logger: quiet()})
	r.svc = svc
	mux.Handle("/mcp", svc.Handler())
	t.Cleanup(func() {
		r.mgr.Close()
		r.srv.Close()
		fake.Close()
		r.log.Close()
		r.st.Close()
	})
	return r
}

// session starts a session (its agent, the real CLI) and returns its id
// and the MCP token its agent was given.
func (r *rig) session() (string, string) {
	r.t.Helper()
	s, err := r.mgr.Create(sessions.CreateRequest{Cwd: filepath.Join(r.dir, "home", "work")})
	if err != nil {
		r.t.Fatalf("failed to create a session: %v", err)
	}
	if s.Status == sessions.StatusError {
		r.t.Fatalf("the session did not start: %s", s.LastError)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	tok := r.tokens[s.ID]
	if tok == "" {
		r.t.Fatalf("the session's agent got no %s", kontaskmcp.MCPTokenEnv)
	}
	return s.ID, tok
}

// client connects the MCP SDK's client to /mcp with token ("" calls as
// the operator, as Konsole's own token does once its HTTP layer let it in).
func (r *rig) client(token string) *mcp.ClientSession {
	r.t.Helper()
	cs, err := mcptest.Dial(r.srv.URL+"/mcp", token)
	if err != nil {
		r.t.Fatalf("failed to connect to /mcp: %v", err)
	}
	r.t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and returns its text and whether it is a tool error.
func call(t *testing.T, cs *mcp.ClientSession, name string, args any) (string, bool) {
	t.Helper()
	return mcptest.Call(t, cs, name, args)
}
