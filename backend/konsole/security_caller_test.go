package konsole_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// callerKonsole is a Konsole whose agent is this test binary in "caller"
// mode: each prompt is a list of calls that a child of the agent makes.
func callerKonsole(t *testing.T) (*kt.Harness, string) {
	t.Helper()
	exe, _ := os.Executable()
	h := kt.Start(t, kt.Options{Claude: exe, Configure: func(c *konsole.Config) {
		c.Env = append(c.Env, "KONUI_FAKE_AGENT=caller")
	}})
	sid := h.CreateSession()
	return h, sid
}

// agentCalls has the agent's child make calls and returns what it saw.
func agentCalls(t *testing.T, h *kt.Harness, sid string, calls []agentCall) []callResult {
	t.Helper()
	ev := h.Events(-1)
	defer ev.Close()
	plan, _ := json.Marshal(calls)
	turn := h.Prompt(sid, string(plan))
	var text strings.Builder
	ev.Until(t, 60*time.Second, func(e kt.Event) bool {
		if e.Type == contract.EvTextDelta && e.TurnID == turn {
			text.WriteString(e.DataMap()["text"].(string))
		}
		return e.Type == contract.EvTurnCompleted && e.TurnID == turn
	})
	var got []callResult
	if err := json.Unmarshal([]byte(text.String()), &got); err != nil || len(got) != len(calls) {
		t.Fatalf("the agent's child answered %q (%v)", text.String(), err)
	}
	return got
}

const mcpInitialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// TestAnAgentsOwnProcessesAreRefusedOnEveryRoute: a process the agent
// started (here its child) holds Konsole's token; every route refuses it
// with 403 agent_caller, before the token is even looked at. The agent's
// own MCP call, with its session's token, still works, and so does this
// test process, which is no agent's.
func TestAnAgentsOwnProcessesAreRefusedOnEveryRoute(t *testing.T) {
	h, sid := callerKonsole(t)
	var calls []agentCall
	for _, r := range konsoleRoutes {
		c := agentCall{Method: r.method, URL: h.URL + strings.ReplaceAll(r.url(), "sec-id", sid), Token: h.Token}
		if r.body() != nil {
			c.Body = "{}"
		}
		calls = append(calls, c)
	}
	calls = append(calls,
		agentCall{Method: "GET", URL: h.URL + "/healthz"},
		agentCall{Method: "GET", URL: h.URL + "/v1/sessions", Token: "wrong"},
		agentCall{Method: "POST", URL: h.URL + "/mcp", Token: "$MCP", Body: mcpInitialize})
	got := agentCalls(t, h, sid, calls)
	for i, c := range calls[:len(calls)-1] {
		if got[i].Status != http.StatusForbidden || got[i].Code != "agent_caller" {
			t.Errorf("%s %s from the agent's child: %+v", c.Method, c.URL, got[i])
		}
	}
	if last := got[len(got)-1]; last.Status != http.StatusOK {
		t.Errorf("the agent's own MCP call: %+v", last)
	}
	for _, p := range []string{"/v1/sessions", "/v1/sessions/" + sid} {
		if status, body := h.DoRaw("GET", p, nil, h.Token); status != http.StatusOK {
			t.Errorf("GET %s from the test process: %d %s", p, status, body)
		}
	}
	if status, r := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": "from the person"}); status != http.StatusOK {
		t.Errorf("PATCH from the test process: %d %v", status, r)
	}
}

// seedExposed records tok as seen by an agent in a new data folder, as
// Konsole does when it finds it in an agent's output.
func seedExposed(t *testing.T, tok string) string {
	t.Helper()
	dir := t.TempDir()
	d := sha256.Sum256([]byte(tok))
	if err := os.WriteFile(filepath.Join(dir, "exposed-tokens"), []byte(hex.EncodeToString(d[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// exposedRefuses is the security table's column for a token an agent has
// seen: every route that changes anything refuses it; reads and Stop (the
// brake while the token is replaced) do not. /mcp with Konsole's own token
// creates kontasks.
func exposedRefuses(r konsoleRoute) bool {
	if r.path == "/mcp" {
		return true
	}
	if r.method == "GET" {
		return false
	}
	return !(r.method == "POST" && r.path == "/v1/sessions/{id}/stop")
}

func TestATokenAnAgentSawIsRefusedOnEveryRouteThatChangesAnything(t *testing.T) {
	tok := "token-an-agent-saw-" + strings.Repeat("x", 20)
	h := kt.Start(t, kt.Options{DataDir: seedExposed(t, tok), Configure: func(c *konsole.Config) { c.Token = tok }})
	if !h.Server.TokenExposed() {
		t.Fatal("the seeded exposure was not loaded")
	}
	for _, r := range konsoleRoutes {
		status, _, body := call(t, h.URL, r.method, r.url(), r.body(), tok, true)
		refused := status == http.StatusForbidden && isJSONError(body, konsole.CodeTokenExposed)
		if refused != exposedRefuses(r) {
			t.Errorf("%s %s with the exposed token: %d %s", r.method, r.path, status, body)
		}
		if refused && !strings.Contains(string(body), "konui konsole --rotate-token") {
			t.Errorf("%s %s: the refusal does not say how to get a new token: %s", r.method, r.path, body)
		}
	}
	// A new token opens every route again; the old one is refused.
	fresh, err := h.Server.RotateToken()
	if err != nil {
		t.Fatal(err)
	}
	if h.Server.TokenExposed() {
		t.Fatal("the new token counts as exposed")
	}
	for _, r := range konsoleRoutes {
		if status, _, body := call(t, h.URL, r.method, r.url(), r.body(), fresh, true); status == http.StatusForbidden || status == http.StatusUnauthorized {
			t.Errorf("%s %s with the new token: %d %s", r.method, r.path, status, body)
		}
		if status, _, _ := call(t, h.URL, r.method, r.url(), r.body(), tok, true); status != http.StatusUnauthorized {
			t.Errorf("%s %s with the old token: %d", r.method, r.path, status)
		}
	}
}
