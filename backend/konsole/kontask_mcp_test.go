package konsole_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/konsoletest"
)

// bearer adds a token to every request of an MCP client.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func mcpClient(t *testing.T, h *kt.Harness, token string) (*mcp.ClientSession, error) {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	return c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: h.URL + "/mcp",
		HTTPClient: &http.Client{Transport: bearer{token}}, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args any) (string, bool) {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	return text.String(), res.IsError
}

// agentMCPToken reads the session token from the agent's environment, where
// Konsole put it, and checks that it is not on the agent's command line.
func agentMCPToken(t *testing.T, h *kt.Harness, sid string) string {
	t.Helper()
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	pid := int(s["agentPid"].(float64))
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := strings.CutPrefix(string(kv), konsole.MCPTokenEnv+"="); ok {
			token = v
		}
	}
	if token == "" {
		t.Fatalf("no %s in the agent's environment", konsole.MCPTokenEnv)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if bytes.Contains(cmdline, []byte(token)) || bytes.Contains(cmdline, []byte(h.Token)) {
		t.Fatal("a token is on the agent's command line")
	}
	if !bytes.Contains(cmdline, []byte("mcp__konsole__kontask_create")) || !bytes.Contains(cmdline, []byte("${"+konsole.MCPTokenEnv+"}")) {
		t.Fatalf("the agent's command line lacks the MCP config: %q", cmdline)
	}
	return token
}

func TestTheSessionMCPTokenNamesItsSessionAndOpensOnlyMCP(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid, other := h.CreateSession(), h.CreateSession()
	token := agentMCPToken(t, h, sid)
	if token == agentMCPToken(t, h, other) {
		t.Fatal("two sessions share an MCP token")
	}
	if status, _ := h.DoRaw("GET", "/v1/sessions", nil, token); status != 401 {
		t.Fatalf("the MCP token opened /v1/sessions: %d", status)
	}
	forged := token[:strings.LastIndexByte(token, '.')] + ".AAAA"
	for _, bad := range []string{forged, strings.Replace(token, sid, other, 1), "kmcp1." + sid, ""} {
		if _, err := mcpClient(t, h, bad); err == nil {
			t.Fatalf("/mcp accepted %q", bad)
		}
	}

	cs, err := mcpClient(t, h, token)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 3 {
		t.Fatalf("tools: %v %v", err, tools)
	}
	if d := tools.Tools[0].Description + tools.Tools[1].Description + tools.Tools[2].Description; !strings.Contains(d, "next prompt") {
		t.Fatalf("the descriptions do not say what a kontask is for: %s", d)
	}
	text, isErr := callTool(t, cs, "kontask_create", map[string]any{"title": "Via MCP", "output": strings.Repeat("x", 1<<20+1)})
	if !isErr || !strings.Contains(text, "output is 1048577 bytes; the limit is 1048576") {
		t.Fatalf("oversized output: %v %q", isErr, text)
	}
	text, isErr = callTool(t, cs, "kontask_create", map[string]any{"title": "Via MCP", "output": strings.Repeat("x", 1<<20),
		"choices": []any{map[string]any{"label": "Yes", "value": "yes please"}}})
	if isErr {
		t.Fatalf("create: %s", text)
	}
	_, list := h.Do("GET", "/v1/kontasks", nil)
	k := list["kontasks"].([]any)[0].(map[string]any)
	if k["sessionId"] != sid || k["requestId"] != "" || k["createdBy"] != "claude" {
		t.Fatalf("kontask outside a turn = sessionId %v requestId %v createdBy %v", k["sessionId"], k["requestId"], k["createdBy"])
	}
	if text, _ := callTool(t, cs, "kontask_list", map[string]any{}); !strings.Contains(text, `"title":"Via MCP"`) || strings.Contains(text, "xxxx") {
		t.Fatalf("list: %.300s", text)
	}
	if text, isErr := callTool(t, cs, "kontask_update", map[string]any{"id": k["id"], "status": "dismissed"}); isErr || !strings.Contains(text, "dismissed") {
		t.Fatalf("update: %s", text)
	}

	// Another session may neither see it by default nor change it.
	cs2, err := mcpClient(t, h, agentMCPToken(t, h, other))
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close()
	if text, _ := callTool(t, cs2, "kontask_list", map[string]any{}); strings.Contains(text, "Via MCP") {
		t.Fatalf("another session listed it: %s", text)
	}
	if text, _ := callTool(t, cs2, "kontask_list", map[string]any{"all": true}); !strings.Contains(text, "Via MCP") {
		t.Fatalf("all:true did not list it: %s", text)
	}
	if text, isErr := callTool(t, cs2, "kontask_update", map[string]any{"id": k["id"], "status": "pending"}); !isErr || !strings.Contains(text, "belongs to another session") {
		t.Fatalf("another session changed it: %v %s", isErr, text)
	}

	// Konsole's own token works too, outside any session.
	op, err := mcpClient(t, h, h.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if text, isErr := callTool(t, op, "kontask_create", map[string]any{"title": "From the operator"}); isErr {
		t.Fatal(text)
	}
	_, list = h.Do("GET", "/v1/kontasks?q=operator", nil)
	if k := list["kontasks"].([]any)[0].(map[string]any); k["sessionId"] != "" {
		t.Fatalf("operator kontask = %v", k)
	}
}
