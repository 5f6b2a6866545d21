// Package konsoletest starts a real Konsole with the real Claude Code CLI
// against the fake Messages API, for tests and benchmarks of every layer.
//
// Start reading at Start. The CLI is the pinned one that "make setup"
// installs under .tools/claude; KONUI_TEST_CLAUDE overrides it.
package konsoletest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/r3labs/sse/v2"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/testkit/claudetest"
	"github.com/konui/konui/backend/testkit/fakeapi"
)

// ClaudePath returns the pinned Claude Code CLI, failing the test with the
// command to run when it is not installed (claudetest.Path).
func ClaudePath(t testing.TB) string { t.Helper(); return claudetest.Path(t) }

// AgentEnv is the environment for the CLI: offline, on the fake API, with a
// throwaway HOME (claudetest.Env).
func AgentEnv(home, apiURL string) []string { return claudetest.Env(home, apiURL) }

// Options adjust Start.
type Options struct {
	DataDir     string          // reuse a data folder (restarts); a temp one when empty
	Home        string          // the agent's HOME; a temp one when empty
	Fake        *fakeapi.Server // reuse a fake API; a new one when nil
	Claude      string          // another agent binary (a misbehaving one)
	Configure   func(*konsole.Config)
	BeforeStart func(*konsole.Server)
	// Client calls the API (one that trusts a test certificate when
	// Configure turns TLS on); http.DefaultClient when nil.
	Client *http.Client
}

// Harness is a running Konsole and its fake API.
type Harness struct {
	T       testing.TB
	Server  *konsole.Server
	Fake    *fakeapi.Server
	URL     string
	Token   string
	DataDir string
	Home    string
	Work    string
	Client  *http.Client
}

// Start runs a Konsole on loopback. It is closed when the test ends.
func Start(t testing.TB, o Options) *Harness {
	t.Helper()
	h := &Harness{T: t, Token: "test-token-" + strings.ReplaceAll(t.Name(), "/", "-"), DataDir: o.DataDir, Home: o.Home, Fake: o.Fake, Client: o.Client}
	if h.Client == nil {
		h.Client = http.DefaultClient
	}
	if h.DataDir == "" {
		h.DataDir = t.TempDir()
	}
	if h.Home == "" {
		h.Home = t.TempDir()
	}
	h.Work = filepath.Join(h.Home, "work")
	if err := os.MkdirAll(h.Work, 0o755); err != nil {
		t.Fatal(err)
	}
	if h.Fake == nil {
		f, err := fakeapi.Start("127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		h.Fake = f
	}
	claudeBin := o.Claude
	if claudeBin == "" {
		claudeBin = ClaudePath(t)
	}
	cfg := konsole.Config{Listen: "127.0.0.1:0", Token: h.Token, DataDir: h.DataDir, Claude: claudeBin,
		// Another agent binary plays the CLI; it need not answer --version.
		SkipAgentCheck: o.Claude != "",
		Env:            AgentEnv(h.Home, h.Fake.URL), Version: "test",
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	srv, err := konsole.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if o.BeforeStart != nil {
		o.BeforeStart(srv)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h.Server, h.URL = srv, srv.URL()
	return h
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// Do calls the API with the harness token and decodes a JSON answer.
func (h *Harness) Do(method, path string, body any) (int, map[string]any) {
	h.T.Helper()
	status, raw := h.DoRaw(method, path, body, h.Token)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			h.T.Fatalf("%s %s: answer is not JSON: %q", method, path, raw)
		}
	}
	return status, out
}

// DoRaw calls the API with token and returns the status and body.
func (h *Harness) DoRaw(method, path string, body any, token string) (int, []byte) {
	h.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, h.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		h.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// CreateSession starts a session in the harness work folder.
func (h *Harness) CreateSession() string {
	h.T.Helper()
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
	if status != http.StatusCreated {
		h.T.Fatalf("create session: %d %v", status, s)
	}
	if s["status"] == sessions.StatusError {
		h.T.Fatalf("session failed to start: %v", s["lastError"])
	}
	return s["id"].(string)
}

// Prompt sends a prompt and returns the turn id.
func (h *Harness) Prompt(sessionID, text string) string {
	h.T.Helper()
	status, r := h.Do("POST", "/v1/sessions/"+sessionID+"/prompt", map[string]any{"text": text})
	if status != http.StatusAccepted {
		h.T.Fatalf("prompt: %d %v", status, r)
	}
	return r["turnId"].(string)
}

// Event is a decoded stream event with its SSE id.
type Event struct {
	contract.Event
	SSEID   string
	SSEType string
}

// DataMap decodes the event's data.
func (e Event) DataMap() map[string]any {
	var m map[string]any
	// data that is not an object gives a nil map, which reads as empty.
	_ = json.Unmarshal(e.Data, &m)
	return m
}

// Stream is an open event stream.
type Stream struct {
	resp *http.Response
	C    chan Event
	Err  chan error
}

// Close ends the stream.
func (s *Stream) Close() { s.resp.Body.Close() }

// Events opens GET /v1/events; since < 0 means new events only.
func (h *Harness) Events(since int64) *Stream {
	h.T.Helper()
	url := h.URL + "/v1/events"
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+h.Token)
	if since >= 0 {
		req.Header.Set("Last-Event-ID", fmt.Sprint(since))
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		h.T.Fatal(err)
	}
	if resp.StatusCode != 200 {
		h.T.Fatalf("events: status %d", resp.StatusCode)
	}
	s := &Stream{resp: resp, C: make(chan Event, 100000), Err: make(chan error, 1)}
	go func() {
		s.Err <- ReadSSE(resp.Body, s.C)
		close(s.C)
	}()
	h.T.Cleanup(s.Close)
	return s
}

// ReadSSE parses server-sent events from r into c until r ends. The
// r3labs event-stream reader (the bridge's) cuts the stream into events; an
// event the stream ends in the middle of is dropped, and one without data
// is skipped.
func ReadSSE(r io.Reader, c chan<- Event) error {
	in := &eofReader{r: r}
	rd := sse.NewEventStreamReader(in, 64<<20)
	// Once r has ended, what the reader returns last may be a cut event:
	// hold each one back until the next shows it was not the last.
	var held []byte
	for {
		raw, err := rd.ReadEvent()
		if errors.Is(err, io.EOF) {
			if held != nil && in.ended() {
				return sendEvent(held, c)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if !in.eof {
			if err := sendEvent(raw, c); err != nil {
				return err
			}
			continue
		}
		if held != nil {
			if err := sendEvent(held, c); err != nil {
				return err
			}
		}
		held = append([]byte(nil), raw...)
	}
}

// sendEvent decodes the fields of one event as the SSE specification
// reads them (the space after the colon is optional, data lines are
// joined by newlines, a line without a colon is a field with no value,
// comments start with a colon) and sends it to c.
func sendEvent(raw []byte, c chan<- Event) error {
	var ev Event
	var data []string
	for _, line := range strings.FieldsFunc(string(raw), func(r rune) bool { return r == '\n' || r == '\r' }) {
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			ev.SSEID = value
		case "event":
			ev.SSEType = value
		case "data":
			data = append(data, value)
		}
	}
	if len(data) == 0 {
		return nil
	}
	joined := strings.Join(data, "\n")
	if err := json.Unmarshal([]byte(joined), &ev.Event); err != nil {
		return fmt.Errorf("bad event data %q: %w", joined, err)
	}
	c <- ev
	return nil
}

// eofReader notes when r has ended and whether its last bytes closed an
// event (a blank line).
type eofReader struct {
	r    io.Reader
	eof  bool
	tail []byte
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if n > 0 {
		e.tail = append(e.tail, p[:n]...)
		e.tail = e.tail[max(0, len(e.tail)-2):]
	}
	if errors.Is(err, io.EOF) {
		e.eof = true
	}
	return n, err
}

// ended tells whether the stream ended on a blank line, after a whole event.
func (e *eofReader) ended() bool { return string(e.tail) == "\n\n" }

// Until reads events until match returns true, failing after timeout. It
// returns every event read, heartbeats excluded.
func (s *Stream) Until(t testing.TB, timeout time.Duration, match func(Event) bool) []Event {
	t.Helper()
	var got []Event
	deadline := time.After(timeout)
	for {
		select {
		case ev, ok := <-s.C:
			if !ok {
				t.Fatalf("the event stream ended after %d events", len(got))
			}
			if ev.Type == contract.EvHeartbeat {
				continue
			}
			got = append(got, ev)
			if match(ev) {
				return got
			}
		case <-deadline:
			var types []string
			for _, e := range got {
				types = append(types, e.Type)
			}
			t.Fatalf("timed out after %s; saw %v", timeout, types)
		}
	}
}

// TurnCompleted matches the turn.completed event of turnID.
func TurnCompleted(turnID string) func(Event) bool {
	return func(e Event) bool { return e.Type == contract.EvTurnCompleted && e.TurnID == turnID }
}
