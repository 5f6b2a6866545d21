package konsole_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/sessions"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// requestLog keeps Konsole's request log lines for a test to read.
type requestLog struct {
	mu   sync.Mutex
	recs []map[string]any
}

func (l *requestLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *requestLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *requestLog) WithGroup(string) slog.Handler            { return l }
func (l *requestLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	rec := map[string]any{}
	r.Attrs(func(a slog.Attr) bool { rec[a.Key] = a.Value.Any(); return true })
	l.mu.Lock()
	l.recs = append(l.recs, rec)
	l.mu.Unlock()
	return nil
}

func (l *requestLog) mcp() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, r := range l.recs {
		if r["path"] == "/mcp" {
			out = append(out, r)
		}
	}
	return out
}

// An agent's start must not wait on Konsole: every request the pinned CLI
// makes to /mcp while it starts (discovery, a listen stream, the tool list,
// a cancellation) is answered within a wide margin and none is refused,
// for a new session and for one resumed after a Konsole restart.
// Konsole used to hold the CLI's subscriptions/listen open unanswered for
// the 25 s the CLI waits, and to refuse its notifications/cancelled.
func TestAgentStartLeavesNoMCPRequestUnanswered(t *testing.T) {
	rl := &requestLog{}
	logTo := func(c *konsole.Config) { c.Logger = slog.New(rl) }
	h := kt.Start(t, kt.Options{Configure: logTo})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "hello from the first prompt of a new session")
	evs := st.Until(t, 90*time.Second, kt.TurnCompleted(turn))
	if got := deltas(evs, turn); got == "" {
		t.Fatalf("the first turn streamed no text; events %v", evs)
	}
	// The same after a Konsole restart: the agent starts again, resumed.
	h.Server.Close()
	h = kt.Start(t, kt.Options{DataDir: h.DataDir, Home: h.Home, Fake: h.Fake, Configure: logTo})
	st = h.Events(-1)
	turn = h.Prompt(sid, "hello again after a restart")
	evs = st.Until(t, 90*time.Second, kt.TurnCompleted(turn))
	if got := deltas(evs, turn); got == "" {
		t.Fatalf("the resumed turn streamed no text; events %v", evs)
	}
	// End the agent and Konsole so that a request still open is logged too.
	h.Server.Close()

	reqs := rl.mcp()
	if len(reqs) == 0 {
		t.Fatal("the agent made no request to /mcp: it did not load the kontask tools")
	}
	lists := 0
	for _, r := range reqs {
		status, _ := r["status"].(int64)
		answered, _ := r["answeredIn"].(time.Duration)
		t.Logf("/mcp %v %v: status %d, answered in %s, lasted %v", r["method"], r["mcpMethod"], status, answered, r["took"])
		if status >= 400 {
			t.Errorf("Konsole refused an MCP request of the agent (%v): status %d", r["mcpMethod"], status)
		}
		if answered > 5*time.Second {
			t.Errorf("an MCP request of the agent (%v) waited %s for its answer", r["mcpMethod"], answered)
		}
		if r["mcpMethod"] == "tools/list" && status == http.StatusOK {
			lists++
		}
	}
	if lists < 2 {
		t.Errorf("the agents listed Konsole's tools %d times, want once per start (2)", lists)
	}
}

// mcpPost POSTs one JSON-RPC message to /mcp as a 2026-07-28 client does.
func mcpPost(t *testing.T, h *kt.Harness, ctx context.Context, method string, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	if method != "" {
		req.Header.Set("Mcp-Method", method)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /mcp %s: %v", method, err)
	}
	return resp
}

const mcpMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"test","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}`

// A listen stream is acknowledged at once, as the specification of the
// CLI's protocol asks, and a cancellation sent without an Mcp-Method header
// is accepted. Konsole advertises no list changes, so nothing is agreed.
func TestMCPListenIsAcknowledgedAndCancellationAccepted(t *testing.T) {
	h := kt.Start(t, kt.Options{Claude: "false"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	disc := mcpPost(t, h, ctx, "server/discover", `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{`+mcpMeta+`}}`)
	raw, _ := io.ReadAll(disc.Body)
	disc.Body.Close()
	if disc.StatusCode != 200 || strings.Contains(string(raw), "listChanged\":true") {
		t.Fatalf("server/discover: %d %s (want 200 and no listChanged: the tool list never changes)", disc.StatusCode, raw)
	}

	start := time.Now()
	resp := mcpPost(t, h, ctx, "subscriptions/listen",
		`{"jsonrpc":"2.0","id":"listen:0","method":"subscriptions/listen","params":{`+mcpMeta+`,"notifications":{"toolsListChanged":true}}}`)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("listen: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	var first string
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			first = line
			break
		}
	}
	if !strings.Contains(first, "notifications/subscriptions/acknowledged") || !strings.Contains(first, `"listen:0"`) {
		t.Fatalf("the listen stream's first message = %q, want the acknowledgement for listen:0", first)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the acknowledgement took %s", took)
	}
	if strings.Contains(first, "toolsListChanged\":true") {
		t.Fatalf("Konsole agreed to tool list changes it never sends: %s", first)
	}

	c := mcpPost(t, h, ctx, "", `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"listen:0","reason":"timeout"}}`)
	body, _ := io.ReadAll(c.Body)
	c.Body.Close()
	if c.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled without Mcp-Method: %d %s, want 202", c.StatusCode, body)
	}
	// A request without its header is still refused, as the transport asks.
	bad := mcpPost(t, h, ctx, "", `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{`+mcpMeta+`}}`)
	bad.Body.Close()
	if bad.StatusCode != http.StatusBadRequest {
		t.Fatalf("tools/list without Mcp-Method: %d, want 400", bad.StatusCode)
	}
}

// sessionStatus matches a session event that carries status.
func sessionStatus(sid, status string) func(kt.Event) bool {
	return func(e kt.Event) bool {
		if e.Type != contract.EvSessionUpdated {
			return false
		}
		s, _ := e.DataMap()["session"].(map[string]any)
		return s["id"] == sid && s["status"] == status
	}
}

// A new session says "starting" until its agent answers that it is ready,
// then "idle", before any prompt is sent.
func TestNewSessionIsStartingUntilItsAgentIsReady(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
	if status != http.StatusCreated || s["status"] != sessions.StatusStarting {
		t.Fatalf("create: %d %v, want 201 and status starting", status, s)
	}
	st.Until(t, 60*time.Second, sessionStatus(s["id"].(string), sessions.StatusIdle))
}

// A prompt sent while the agent starts is accepted, not refused, and
// answered as soon as the agent is ready.
func TestPromptWhileTheAgentStartsIsHeldAndSent(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	sid := s["id"].(string)
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "sent before the agent was ready"})
	if status != http.StatusAccepted {
		t.Fatalf("prompt while starting: %d %v, want 202", status, r)
	}
	turn := r["turnId"].(string)
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if got := deltas(evs, turn); got != "Echo: sent before the agent was ready" {
		t.Fatalf("answer = %q", got)
	}
	if d := evs[len(evs)-1].DataMap(); d["reason"] != "completed" {
		t.Fatalf("turn = %v", d)
	}
	_, after := h.Do("GET", "/v1/sessions/"+sid, nil)
	if after["status"] != sessions.StatusIdle {
		t.Fatalf("session after the turn = %v", after["status"])
	}
}
