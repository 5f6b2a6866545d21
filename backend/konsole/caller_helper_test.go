package konsole_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/konui/konui/backend/konsole/kontaskmcp"
)

// agentCall is one HTTP call the caller child makes. Token "$MCP" is the
// session's own MCP token, from the agent's environment.
type agentCall struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Token  string `json:"token"`
	Body   string `json:"body,omitempty"`
}

// callResult is what the child saw: the status and the error code.
type callResult struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Err    string `json:"err,omitempty"`
}

// promptText is the text of a user message's content (a string or blocks).
func promptText(content json.RawMessage) string {
	var s string
	if json.Unmarshal(content, &s) == nil {
		return s
	}
	var blocks []struct {
		Type, Text string
	}
	json.Unmarshal(content, &blocks)
	var b strings.Builder
	for _, bl := range blocks {
		if bl.Type == "text" {
			b.WriteString(bl.Text)
		}
	}
	return b.String()
}

// runCaller starts the child (this binary again, a process of the agent's
// tree as a tool's would be) with the calls on its stdin and returns what
// it printed.
func runCaller(plan string) string {
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "KONUI_FAKE_CALLER=1")
	cmd.Stdin = strings.NewReader(plan)
	out, err := cmd.Output()
	if err != nil {
		return `{"error":"the caller failed: ` + err.Error() + `"}`
	}
	return string(out)
}

// fakeCaller makes the calls of its stdin and prints their results as one
// JSON array.
func fakeCaller() int {
	var calls []agentCall
	if err := json.NewDecoder(os.Stdin).Decode(&calls); err != nil {
		return 2
	}
	client := &http.Client{Timeout: 10 * time.Second}
	results := make([]callResult, 0, len(calls))
	for _, c := range calls {
		var body io.Reader
		if c.Body != "" {
			body = strings.NewReader(c.Body)
		}
		req, err := http.NewRequest(c.Method, c.URL, body)
		if err != nil {
			results = append(results, callResult{Err: err.Error()})
			continue
		}
		tok := c.Token
		if tok == "$MCP" {
			tok = os.Getenv(kontaskmcp.MCPTokenEnv)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.Method == "POST" && strings.HasSuffix(c.URL, "/mcp") {
			req.Header.Set("Accept", "application/json, text/event-stream")
		}
		resp, err := client.Do(req)
		if err != nil {
			results = append(results, callResult{Err: err.Error()})
			continue
		}
		var e struct {
			Code string `json:"code"`
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			json.Unmarshal(raw, &e)
		}
		resp.Body.Close()
		results = append(results, callResult{Status: resp.StatusCode, Code: e.Code})
	}
	json.NewEncoder(os.Stdout).Encode(results)
	return 0
}
