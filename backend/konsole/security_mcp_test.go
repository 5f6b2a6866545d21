package konsole_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// mcpClientQuery is an MCP client that sends its token as ?token= only.
func mcpClientQuery(t *testing.T, h *kt.Harness, token string) (*mcp.ClientSession, error) {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	return c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: h.URL + "/mcp?token=" + url.QueryEscape(token),
		DisableStandaloneSSE: true, MaxRetries: -1}, nil)
}

// TestTheMCPCallerIsOneWhateverWayTheTokenArrives: a session token sent as
// ?token= is that session on /mcp, as in the header, never the operator
// (issue 13, 3): it attributes kontasks to the session and may not change
// another session's.
func TestTheMCPCallerIsOneWhateverWayTheTokenArrives(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	tok := sessionMCPToken(t, h, sid)
	status, other := h.Do("POST", "/v1/kontasks", map[string]any{"title": "the operator's", "output": "<p>x</p>"})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, other)
	}
	for name, connect := range map[string]func(*testing.T, *kt.Harness, string) (*mcp.ClientSession, error){
		"header": mcpClient, "query": mcpClientQuery,
	} {
		cs, err := connect(t, h, tok)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text, isErr := callTool(t, cs, "kontask_create", map[string]any{"title": "by " + name, "output": "<p>ok</p>"})
		if isErr {
			t.Fatalf("%s: %s", name, text)
		}
		_, list := h.Do("GET", "/v1/kontasks?limit=50", nil)
		var mine map[string]any
		for _, k := range list["kontasks"].([]any) {
			if k.(map[string]any)["title"] == "by "+name {
				mine = k.(map[string]any)
			}
		}
		if mine == nil || mine["sessionId"] != sid || mine["createdBy"] != "claude" {
			t.Errorf("%s: the kontask is not the session's: %v", name, mine)
		}
		text, isErr = callTool(t, cs, "kontask_update", map[string]any{"id": other["id"], "status": "dismissed"})
		if !isErr || !strings.Contains(text, "another session") {
			t.Errorf("%s: a session changed the operator's kontask: %s", name, text)
		}
		cs.Close()
	}
}

// TestAnEndedSessionsMCPTokenIsRevokedAtOnce: the token of an ended
// session opens /mcp no more, in either form (issue 13, 7).
func TestAnEndedSessionsMCPTokenIsRevokedAtOnce(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	tok := sessionMCPToken(t, h, sid)
	if status, _, body := call(t, h.URL, "POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`), tok, true); status != http.StatusOK {
		t.Fatalf("the live token was refused: %d %s", status, body)
	}
	if status, _ := h.Do("DELETE", "/v1/sessions/"+sid, nil); status != http.StatusNoContent {
		t.Fatalf("end: %d", status)
	}
	for _, header := range []bool{true, false} {
		status, _, body := call(t, h.URL, "POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`), tok, header)
		if status != http.StatusUnauthorized || !isJSONError(body, "unauthorized") {
			t.Errorf("header %v: the ended session's token got %d %s", header, status, body)
		}
	}
}
