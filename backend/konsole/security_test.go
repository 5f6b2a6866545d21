package konsole_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	"github.com/konui/konui/backend/shared/auth"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// konsoleRoute is one route of Konsole's API, with ids that need not exist:
// the token is checked before any route runs.
type konsoleRoute struct{ method, path string }

// konsoleRoutes is every route of the API (docs/protocol.md, Konsole HTTP
// API); TestEveryDocumentedRouteIsInTheSecurityTable keeps it complete.
var konsoleRoutes = []konsoleRoute{
	{"POST", "/v1/sessions"},
	{"GET", "/v1/sessions"},
	{"GET", "/v1/sessions/{id}"},
	{"PATCH", "/v1/sessions/{id}"},
	{"DELETE", "/v1/sessions/{id}"},
	{"GET", "/v1/sessions/{id}/messages"},
	{"GET", "/v1/sessions/{id}/permissions"},
	{"POST", "/v1/sessions/{id}/permissions/{requestId}"},
	{"POST", "/v1/sessions/{id}/prompt"},
	{"POST", "/v1/sessions/{id}/stop"},
	{"GET", "/v1/sessions/{id}/info"},
	{"GET", "/v1/models"},
	{"GET", "/v1/sessions/{id}/queue"},
	{"DELETE", "/v1/sessions/{id}/queue"},
	{"PATCH", "/v1/sessions/{id}/queue/{queueId}"},
	{"DELETE", "/v1/sessions/{id}/queue/{queueId}"},
	{"POST", "/v1/sessions/{id}/queue/{queueId}/send"},
	{"GET", "/v1/sessions/{id}/changes"},
	{"GET", "/v1/sessions/{id}/changes/diff"},
	{"POST", "/v1/sessions/{id}/worktree/commit"},
	{"POST", "/v1/sessions/{id}/worktree/merge"},
	{"POST", "/v1/sessions/{id}/worktree/discard"},
	{"GET", "/v1/sessions/{id}/worktree/pr"},
	{"POST", "/v1/sessions/{id}/worktree/pr"},
	{"GET", "/v1/fs/dirs"},
	{"GET", "/v1/folders/recent"},
	{"GET", "/v1/agent"},
	{"PUT", "/v1/agent"},
	{"GET", "/v1/usage"},
	{"GET", "/v1/search"},
	{"GET", "/v1/sessions/{id}/export"},
	{"GET", "/v1/sessions/{id}/rules"},
	{"DELETE", "/v1/sessions/{id}/rules/{tool}"},
	{"GET", "/v1/settings/auto-deny"},
	{"PUT", "/v1/settings/auto-deny"},
	{"GET", "/v1/events"},
	{"GET", "/v1/history"},
	{"GET", "/v1/history/{agentSessionId}"},
	{"POST", "/v1/sessions/{id}/fork"},
	{"GET", "/v1/sessions/{id}/checkpoints"},
	{"POST", "/v1/sessions/{id}/rewind"},
	{"POST", "/v1/kontasks"},
	{"GET", "/v1/kontasks"},
	{"GET", "/v1/kontasks/{id}"},
	{"PATCH", "/v1/kontasks/{id}"},
	{"POST", "/mcp"},
	{"GET", "/mcp"},
	{"DELETE", "/mcp"},
	// Not routes, but they must not tell a stranger so either.
	{"GET", "/v1/no-such-route"},
	{"PUT", "/v1/sessions"},
}

func (r konsoleRoute) url() string {
	p := strings.NewReplacer("{id}", "sec-id", "{requestId}", "sec-req", "{queueId}", "sec-queue", "{agentSessionId}", "sec-agent", "{tool}", "sec-tool").Replace(r.path)
	return p
}

func (r konsoleRoute) body() io.Reader {
	if r.method == "POST" || r.method == "PATCH" || r.method == "PUT" {
		return strings.NewReader(`{}`)
	}
	return nil
}

// wrongTokens are the ways a token can be wrong: missing, unrelated,
// another length (shorter and longer), and the right length with only the
// last character changed.
func wrongTokens(tok string) map[string]string {
	last := tok[len(tok)-1]
	flip := byte('A')
	if last == 'A' {
		flip = 'B'
	}
	return map[string]string{
		"none":          "",
		"wrong":         "not-the-token",
		"shorter":       tok[:len(tok)-1],
		"longer":        tok + "0",
		"last-char":     tok[:len(tok)-1] + string(flip),
		"first-char":    string(flip) + tok[1:],
		"much-longer":   strings.Repeat(tok, 64),
		"padded-query":  " " + tok, // only the header form trims spaces
		"case-switched": strings.ToUpper(tok),
	}
}

// call sends one request with the token as a Bearer header (header true)
// or as ?token= and returns the status, headers and body. An event stream
// that opens is closed after its headers.
func call(t *testing.T, base, method, path string, body io.Reader, token string, header bool) (int, http.Header, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := base + path
	if !header && token != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		u += sep + "token=" + urlQueryEscape(token)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == "POST" && path == "/mcp" {
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	if header && token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, resp.Header, nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, raw
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// sessionMCPToken waits until the session's agent has started (its command
// line carries the MCP config), then reads its MCP token.
func sessionMCPToken(t *testing.T, h *kt.Harness, sid string) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
		if pid, ok := s["agentPid"].(float64); ok {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", int(pid)))
			if bytes.Contains(cmdline, []byte("--mcp-config")) {
				return agentMCPToken(t, h, sid)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent of %s did not start", sid)
		}
	}
}

// isJSONError tells whether body is Konsole's error shape with code.
func isJSONError(body []byte, code string) bool {
	var e struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	return json.Unmarshal(body, &e) == nil && e.Error != "" && e.Code == code
}

func TestEveryRouteRefusesEveryWrongTokenWith401JSON(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	for _, r := range konsoleRoutes {
		for name, tok := range wrongTokens(h.Token) {
			for _, header := range []bool{true, false} {
				if header && name == "padded-query" {
					continue // a Bearer header is trimmed: that token is the right one there
				}
				status, hdr, body := call(t, h.URL, r.method, r.url(), r.body(), tok, header)
				if status != http.StatusUnauthorized || !isJSONError(body, "unauthorized") ||
					!strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s with a %s token (header %v): %d %s %q", r.method, r.path, name, header, status, hdr.Get("Content-Type"), body)
				}
				if strings.Contains(string(body), h.Token[:len(h.Token)-1]) {
					t.Errorf("%s %s: the error body quotes the token: %s", r.method, r.path, body)
				}
			}
		}
		// The right token reaches the route (whatever the route then says).
		status, _, body := call(t, h.URL, r.method, r.url(), r.body(), h.Token, true)
		if status == http.StatusUnauthorized {
			t.Errorf("%s %s refused the right token: %s", r.method, r.path, body)
		}
	}
	// /healthz is the one route that needs no token.
	status, _, body := call(t, h.URL, "GET", "/healthz", nil, "", true)
	if status != 200 || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("/healthz without a token: %d %s", status, body)
	}
	for _, tok := range []string{"", "wrong"} {
		if status, _, _ := call(t, h.URL, "GET", "/healthz", nil, tok, true); status != 200 {
			t.Fatalf("/healthz with token %q: %d", tok, status)
		}
	}
}

func TestEveryDocumentedRouteIsInTheSecurityTable(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "docs", "protocol.md"))
	if err != nil {
		t.Fatal(err)
	}
	// The Konsole section ends where the bridge's begins.
	if i := bytes.Index(doc, []byte("## Bridge")); i > 0 {
		doc = doc[:i]
	}
	rows := regexp.MustCompile("(?m)^\\| `(GET|POST|PATCH|DELETE|PUT) (/[^` ]*)`").FindAllSubmatch(doc, -1)
	if len(rows) < 15 {
		t.Fatalf("found only %d routes in docs/protocol.md", len(rows))
	}
	for _, m := range rows {
		r := konsoleRoute{string(m[1]), string(m[2])}
		if r.path == "/healthz" {
			continue
		}
		if !slices.Contains(konsoleRoutes, r) {
			t.Errorf("%s %s is documented but not in the security table", r.method, r.path)
		}
	}
}

// TestTokensOfEveryShapeAreJudgedByOneComparison checks, without timing
// anything, that Konsole decides exactly as auth.Equal (constant time over
// SHA-256 digests) decides on the token auth.FromRequest reads, and that
// every refusal is the same answer, byte for byte, whatever the length or
// the position of the difference: there is no shorter path for a wrong
// length.
func TestTokensOfEveryShapeAreJudgedByOneComparison(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	candidates := []string{h.Token, h.Token + " ", "\t" + h.Token}
	for _, tok := range wrongTokens(h.Token) {
		candidates = append(candidates, tok)
	}
	var refusal []byte
	for _, tok := range candidates {
		for _, header := range []bool{true, false} {
			req, _ := http.NewRequest("GET", h.URL+"/v1/sessions", nil)
			if header {
				req.Header.Set("Authorization", "Bearer "+tok)
			} else {
				req.URL.RawQuery = "token=" + urlQueryEscape(tok)
			}
			want := auth.Equal(auth.FromRequest(req), h.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := resp.StatusCode != http.StatusUnauthorized; got != want {
				t.Errorf("token %q (header %v): accepted %v, auth.Equal says %v", tok, header, got, want)
			}
			if resp.StatusCode == http.StatusUnauthorized {
				resp.Header.Del("Date")
				sig := append([]byte(resp.Header.Get("Content-Type")+"|"+resp.Header.Get("Content-Length")+"|"), body...)
				if refusal == nil {
					refusal = sig
				} else if !bytes.Equal(sig, refusal) {
					t.Errorf("token %q got another refusal: %s, first was %s", tok, sig, refusal)
				}
			}
		}
	}
	if refusal == nil {
		t.Fatal("nothing was refused")
	}
}

func TestTheSessionMCPTokenOpensNoRouteButMCP(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	mcpTok := sessionMCPToken(t, h, sid)
	for _, r := range konsoleRoutes {
		if r.path == "/mcp" {
			continue
		}
		for _, header := range []bool{true, false} {
			status, _, body := call(t, h.URL, r.method, strings.ReplaceAll(r.url(), "sec-id", sid), r.body(), mcpTok, header)
			if status != http.StatusUnauthorized || !isJSONError(body, "unauthorized") {
				t.Errorf("%s %s with the session's MCP token: %d %s", r.method, r.path, status, body)
			}
		}
	}
	status, _, body := call(t, h.URL, "POST", "/mcp",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`), mcpTok, true)
	if status != 200 {
		t.Fatalf("/mcp refused the session's token: %d %s", status, body)
	}
}

// TestBodiesOverTheLimitGet413 sends 1 MiB + 1 byte to every route that
// reads a body. POST /v1/kontasks reads up to 8 MiB so that an output over
// its own 1 MiB limit is refused with the sentence saying so (400), and
// only a body over 8 MiB gets 413; /mcp reads up to 8 MiB as well.
func TestBodiesOverTheLimitGet413(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	_, k := h.Do("POST", "/v1/kontasks", map[string]any{"title": "limits"})
	kid := k["id"].(string)
	over := func(n int) string { return `{"text":"` + strings.Repeat("a", n) + `"}` }
	for _, r := range []konsoleRoute{
		{"POST", "/v1/sessions"},
		{"PATCH", "/v1/sessions/" + sid},
		{"POST", "/v1/sessions/" + sid + "/prompt"},
		{"POST", "/v1/sessions/" + sid + "/permissions/req-1"},
		{"PATCH", "/v1/kontasks/" + kid},
	} {
		status, body := h.DoRaw(r.method, r.path, over(konsole.MaxBodyBytes), h.Token)
		if status != http.StatusRequestEntityTooLarge || !isJSONError(body, "too_large") {
			t.Errorf("%s %s with %d bytes: %d %.200s", r.method, r.path, konsole.MaxBodyBytes+11, status, body)
		}
	}
	// Just under the limit is read (and refused for what it says, not its size).
	if status, body := h.DoRaw("PATCH", "/v1/sessions/"+sid, `{"title":"`+strings.Repeat("a", konsole.MaxBodyBytes-20)+`"}`, h.Token); status != 400 || isJSONError(body, "too_large") {
		t.Errorf("a body under 1 MiB: %d %.200s", status, body)
	}

	// POST /v1/kontasks: 2 MiB of output is a 400 that says why.
	status, body := h.DoRaw("POST", "/v1/kontasks", map[string]any{"title": "big", "output": strings.Repeat("x", 2<<20)}, h.Token)
	if status != 400 || !isJSONError(body, "bad_request") || !strings.Contains(string(body), "output is 2097152 bytes; the limit is 1048576") {
		t.Errorf("a kontask with 2 MiB of output: %d %.300s", status, body)
	}
	// Escaping can make 1 MiB of output 6 MiB of JSON: still the sentence.
	status, body = h.DoRaw("POST", "/v1/kontasks", `{"title":"escaped","output":"`+strings.Repeat(`\u003c`, (1<<20)+1)+`"}`, h.Token)
	if status != 400 || !strings.Contains(string(body), "output is 1048577 bytes") {
		t.Errorf("an escaped oversized output: %d %.300s", status, body)
	}
	status, body = h.DoRaw("POST", "/v1/kontasks", `{"title":"t","output":"`+strings.Repeat("x", kontaskmcp.MaxKontaskBodyBytes)+`"}`, h.Token)
	if status != http.StatusRequestEntityTooLarge || !isJSONError(body, "too_large") {
		t.Errorf("a kontask body over 8 MiB: %d %.300s", status, body)
	}
	// /mcp: a request over its 8 MiB is refused, not read.
	status, _, body = call(t, h.URL, "POST", "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"`+strings.Repeat("x", kontaskmcp.MaxKontaskBodyBytes)+`"}}`), h.Token, true)
	if status != http.StatusRequestEntityTooLarge {
		t.Errorf("an MCP request over 8 MiB: %d %.300s", status, body)
	}
	// Nothing of it was stored.
	if _, list := h.Do("GET", "/v1/kontasks", nil); list["total"].(float64) != 1 {
		t.Fatalf("oversized requests stored kontasks: %v", list["total"])
	}
}

// TestTheDatabaseAndItsFolderArePrivate checks the modes of everything
// Konsole writes: konsole.db, its -wal and -shm, the lock, and the data
// folder it creates.
func TestTheDatabaseAndItsFolderArePrivate(t *testing.T) {
	data := filepath.Join(t.TempDir(), "xdg", "konui", "konsole")
	h := kt.Start(t, kt.Options{DataDir: data})
	for i := 0; i < 20; i++ {
		if _, err := h.Server.Log().Append("test.write", "", "", map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	h.Server.Log().Flush()
	if status, _ := h.Do("POST", "/v1/kontasks", map[string]any{"title": "written"}); status != 201 {
		t.Fatal("kontask not stored")
	}
	check := func() {
		t.Helper()
		seen := map[string]bool{}
		if err := filepath.WalkDir(filepath.Dir(filepath.Dir(data)), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := d.Info()
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
			}
			seen[d.Name()] = true
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"konsole.db", "konsole.db-wal", "konsole.db-shm", "konsole.lock"} {
			if !seen[name] {
				t.Errorf("%s was not written", name)
			}
		}
	}
	check()
	// And after a restart on the same folder.
	h.Server.Close()
	h2 := kt.Start(t, kt.Options{DataDir: data, Home: h.Home, Fake: h.Fake})
	if _, err := h2.Server.Log().Append("test.write", "", "", map[string]any{"after": "restart"}); err != nil {
		t.Fatal(err)
	}
	h2.Server.Log().Flush()
	check()
}
