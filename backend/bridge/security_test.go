package bridge_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/cli"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/shared/auth"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"github.com/konui/konui/frontend"
)

// bridgeRoutes is every route under /api/ with a token (docs/protocol.md,
// Bridge): the WebSocket, health, and the REST API proxied to Konsole.
var bridgeRoutes = []struct{ method, path string }{
	{"GET", "/api/console/ws"},
	{"GET", "/api/health"},
	{"POST", "/api/sessions"},
	{"GET", "/api/sessions"},
	{"GET", "/api/sessions/sec-id"},
	{"PATCH", "/api/sessions/sec-id"},
	{"DELETE", "/api/sessions/sec-id"},
	{"GET", "/api/sessions/sec-id/messages"},
	{"GET", "/api/sessions/sec-id/permissions"},
	{"POST", "/api/sessions/sec-id/permissions/sec-req"},
	{"POST", "/api/sessions/sec-id/prompt"},
	{"POST", "/api/sessions/sec-id/stop"},
	{"GET", "/api/sessions/sec-id/checkpoints"},
	{"POST", "/api/sessions/sec-id/rewind"},
	{"POST", "/api/kontasks"},
	{"GET", "/api/kontasks"},
	{"GET", "/api/kontasks/sec-id"},
	{"PATCH", "/api/kontasks/sec-id"},
	{"GET", "/api/konsoles"},
	{"POST", "/api/konsoles"},
	{"PATCH", "/api/konsoles/sec-id"},
	{"DELETE", "/api/konsoles/sec-id"},
	{"POST", "/api/konsoles/sec-id/retry"},
	{"POST", "/api/konsoles/sec-id/token"},
	// Not routes: a stranger learns nothing from them either.
	{"GET", "/api/events"},
	{"GET", "/api/no-such-route"},
	{"PUT", "/api/sessions"},
}

// badTokens are the ways a token can be wrong: missing, unrelated, another
// length (shorter and longer), the right length with the last character
// changed.
func badTokens(tok string) map[string]string {
	flip := "A"
	if strings.HasSuffix(tok, "A") {
		flip = "B"
	}
	return map[string]string{
		"none":      "",
		"wrong":     "not-the-token",
		"shorter":   tok[:len(tok)-1],
		"longer":    tok + "0",
		"last-char": tok[:len(tok)-1] + flip,
	}
}

type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the token in a Bearer header (or as ?token=
// when query is set) and an optional Origin; an event stream or a
// WebSocket is not read.
func do(t *testing.T, base, method, path, token string, query bool, origin string) httpAnswer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := base + path
	if query && token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	var body io.Reader
	if method == "POST" || method == "PATCH" {
		body = strings.NewReader(`{}`)
	}
	req, _ := http.NewRequestWithContext(ctx, method, u, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if !query && token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var raw []byte
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		raw, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}
	return httpAnswer{resp.StatusCode, resp.Header, raw}
}

func jsonError(body []byte, code string) bool {
	var e struct{ Error, Code string }
	return json.Unmarshal(body, &e) == nil && e.Error != "" && e.Code == code
}

// securityBridge is a bridge with the dashboard on a real Konsole.
func securityBridge(t *testing.T) (*kt.Harness, *bridgeHarness) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		c.Token = "bridge-" + auth.NewToken()
		c.UI = frontend.Dist()
	})
	h.waitConnected()
	return k, h
}

func TestEveryBridgeRouteRefusesEveryWrongTokenWith401JSON(t *testing.T) {
	_, h := securityBridge(t)
	for _, r := range bridgeRoutes {
		for name, tok := range badTokens(h.token) {
			for _, query := range []bool{false, true} {
				a := do(t, h.srv.URL, r.method, r.path, tok, query, "")
				if a.status != http.StatusUnauthorized || !jsonError(a.body, "unauthorized") ||
					!strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s with a %s token (query %v): %d %q %s", r.method, r.path, name, query, a.status, a.header.Get("Content-Type"), a.body)
				}
			}
		}
		a := do(t, h.srv.URL, r.method, r.path, h.token, false, "")
		if a.status == http.StatusUnauthorized {
			t.Errorf("%s %s refused the right token: %s", r.method, r.path, a.body)
		}
	}

	// The WebSocket refuses before upgrading: a 401 with the JSON error.
	for name, tok := range badTokens(h.token) {
		_, resp, err := h.dial("token="+url.QueryEscape(tok)+"&clientId=x", nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a WebSocket with a %s token: %v %v", name, err, resp)
		}
		body, _ := io.ReadAll(resp.Body)
		if !jsonError(body, "unauthorized") || resp.Header.Get("Upgrade") != "" {
			t.Fatalf("a WebSocket with a %s token: %d %s", name, resp.StatusCode, body)
		}
	}
	// The same with a Bearer header (non-browser clients).
	_, resp, err := h.dial("clientId=x", http.Header{"Authorization": {"Bearer " + h.token[:len(h.token)-1] + "A"}})
	if err == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a WebSocket with a wrong Bearer token: %v", err)
	}
	h.connect("clientId=right") // and the right one opens

	// The dashboard's files are the only answers without a token.
	index, _ := fs.ReadFile(frontend.Dist(), "index.html")
	paths := []string{"/", "/index.html", "/sessions/abc", "/healthz"}
	assets, _ := fs.ReadDir(frontend.Dist(), "assets")
	if len(assets) > 0 {
		paths = append(paths, "/assets/"+assets[0].Name())
	}
	for _, p := range paths {
		a := do(t, h.srv.URL, "GET", p, "", false, "")
		if a.status != 200 || jsonError(a.body, "unauthorized") {
			t.Errorf("GET %s without a token: %d %.100s", p, a.status, a.body)
		}
		if !strings.HasPrefix(p, "/assets/") && !bytes.Equal(a.body, index) {
			t.Errorf("GET %s is not the dashboard: %.100s", p, a.body)
		}
	}
}

// TestCrossSiteRequestsAreRefusedAndTheDesktopOriginsAllowed: the desktop
// window's origins are allowed by the window's own bridge only, never by
// plain "konui serve" (issue 13, 6).
func TestCrossSiteRequestsAreRefusedAndTheDesktopOriginsAllowed(t *testing.T) {
	k, h := securityBridge(t)
	win := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		c.Token = h.token
		c.Origins = bridge.WailsOrigins
	})
	win.waitConnected()
	evil := []string{"wails://wails", "http://wails.localhost", // to plain serve
		"https://evil.example", "null", "http://127.0.0.1.evil.example", "wails://wails.evil.example",
		"http://wails.localhost.evil.example", "http://wails.localhost:8080", "file://",
		// The desktop origins' hosts under another scheme are other origins.
		"http://wails", "https://wails", "https://wails.localhost", "wails://wails.localhost"}
	for _, o := range evil {
		// The WebSocket: 403, no upgrade, with the right token.
		_, resp, err := h.dial("token="+h.token+"&clientId=evil", http.Header{"Origin": {o}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("a WebSocket from %s: %v %v", o, err, resp)
		}
		// The REST API: 403 JSON with the right token, and no CORS headers.
		for _, r := range []struct{ method, path string }{{"GET", "/api/sessions"}, {"POST", "/api/sessions"}, {"GET", "/api/health"}, {"GET", "/api/kontasks"}} {
			a := do(t, h.srv.URL, r.method, r.path, h.token, false, o)
			if a.status != http.StatusForbidden || !jsonError(a.body, "forbidden_origin") {
				t.Errorf("%s %s from %s: %d %s", r.method, r.path, o, a.status, a.body)
			}
			if a.header.Get("Access-Control-Allow-Origin") != "" || a.header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s %s from %s got CORS headers: %v", r.method, r.path, o, a.header)
			}
		}
		// A preflight from it is not approved.
		req, _ := http.NewRequest("OPTIONS", h.srv.URL+"/api/sessions", nil)
		req.Header.Set("Origin", o)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.Header.Get("Access-Control-Allow-Methods") != "" || resp.StatusCode < 400 {
			t.Errorf("a preflight from %s: %d %v", o, resp.StatusCode, resp.Header)
		}
	}

	same := h.srv.URL // the dashboard served by the bridge itself
	for _, o := range []string{"wails://wails", "http://wails.localhost", same} {
		h := h
		if o != same {
			h = win
		}
		c, resp, err := h.dial("token="+h.token+"&clientId="+url.QueryEscape(o), http.Header{"Origin": {o}})
		if err != nil {
			t.Fatalf("a WebSocket from %s: %v %v", o, err, resp)
		}
		if f := c.next(5 * time.Second); f.Type != "hello" {
			t.Fatalf("from %s: first frame %s", o, f.raw)
		}
		a := do(t, h.srv.URL, "GET", "/api/sessions", h.token, false, o)
		if a.status != 200 {
			t.Fatalf("GET /api/sessions from %s: %d %s", o, a.status, a.body)
		}
		if o != same && (a.header.Get("Access-Control-Allow-Origin") != o || !strings.Contains(a.header.Get("Vary"), "Origin")) {
			t.Fatalf("from %s: CORS headers %v", o, a.header)
		}
		if o == same && a.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("a same-origin answer carries CORS headers: %v", a.header)
		}
		if o != same {
			req, _ := http.NewRequest("OPTIONS", h.srv.URL+"/api/sessions", nil)
			req.Header.Set("Origin", o)
			req.Header.Set("Access-Control-Request-Method", "POST")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != o ||
				!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Fatalf("a preflight from %s: %d %v", o, resp.StatusCode, resp.Header)
			}
		}
	}
}

// cspDirectives splits a Content-Security-Policy into its directives.
func cspDirectives(csp string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[f[0]] = f[1:]
		}
	}
	return out
}

func TestTheDashboardIsServedWithAStrictContentSecurityPolicy(t *testing.T) {
	h := startBridge(t, "http://127.0.0.1:1", "unused", func(c *bridge.Config) { c.UI = frontend.Dist() })
	paths := []string{"/", "/index.html", "/sessions/abc", "/assets/missing.js"}
	if assets, _ := fs.ReadDir(frontend.Dist(), "assets"); len(assets) > 0 {
		paths = append(paths, "/assets/"+assets[0].Name())
	}
	for _, p := range paths {
		a := do(t, h.srv.URL, "GET", p, "", false, "")
		d := cspDirectives(a.header.Get("Content-Security-Policy"))
		is := func(name string, want ...string) {
			if strings.Join(d[name], " ") != strings.Join(want, " ") {
				t.Errorf("GET %s: %s is %q, want %q (CSP %q)", p, name, d[name], want, a.header.Get("Content-Security-Policy"))
			}
		}
		is("script-src", "'self'")
		is("object-src", "'none'")
		is("frame-ancestors", "'none'")
		is("base-uri", "'none'")
		is("connect-src", "'self'")
		if a.header.Get("X-Frame-Options") != "DENY" || a.header.Get("X-Content-Type-Options") != "nosniff" ||
			a.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: headers %v", p, a.header)
		}
	}
}

func TestOversizedFramesClose1009AndTheBridgeServesOn(t *testing.T) {
	h := startBridge(t, "http://127.0.0.1:1", "unused", nil)
	bystander := h.connect("clientId=bystander")
	c := h.connect("clientId=big")
	// A frame of exactly 1 MiB is read and answered.
	head := `{"id":"exact","type":"ping","pad":"`
	exact := head + strings.Repeat("a", 1<<20-len(head)-2) + `"}`
	if len(exact) != 1<<20 {
		t.Fatalf("frame is %d bytes", len(exact))
	}
	c.conn.Write(context.Background(), websocket.MessageText, []byte(exact))
	if fs := c.until(5*time.Second, func(f frame) bool { return f.Type == "ack" }); !fs[len(fs)-1].OK || fs[len(fs)-1].Ref != "exact" {
		t.Fatalf("a 1 MiB frame: %s", fs[len(fs)-1].raw)
	}
	// One byte more closes the connection with 1009.
	c.conn.Write(context.Background(), websocket.MessageText, []byte(exact[:len(exact)-2]+`a"}`))
	select {
	case err := <-c.closed:
		if closeCode(err) != websocket.StatusMessageTooBig {
			t.Fatalf("closed with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an oversized frame did not close the connection")
	}
	// A binary frame over the limit too.
	b := h.connect("clientId=binary")
	b.conn.Write(context.Background(), websocket.MessageBinary, make([]byte, 1<<20+1))
	select {
	case err := <-b.closed:
		if closeCode(err) != websocket.StatusMessageTooBig {
			t.Fatalf("binary: closed with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an oversized binary frame did not close the connection")
	}
	// Everyone else is unharmed, and new connections open.
	if a := bystander.request("ping", nil); !a.OK {
		t.Fatal("the bystander was harmed")
	}
	if a := h.connect("clientId=big").request("ping", nil); !a.OK {
		t.Fatal("the bridge stopped serving")
	}
}

// logBuffer collects log output from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// agentToken reads the MCP token Konsole gave a session's agent.
func agentToken(t *testing.T, pid int) string {
	t.Helper()
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := strings.CutPrefix(string(kv), "KONSOLE_MCP_TOKEN="); ok {
			return v
		}
	}
	t.Fatalf("no KONSOLE_MCP_TOKEN in the environment of %d", pid)
	return ""
}

// TestTokensNeverAppearInLogsOrErrors runs Konsole and two bridges (one
// with a wrong Konsole token) at debug level into one buffer, exercises
// every kind of refusal and a session whose agent uses its MCP token, and
// looks for the tokens, and any wrong token made from them, in the logs,
// every error body, every ack and every frame.
func TestTokensNeverAppearInLogsOrErrors(t *testing.T) {
	var logs logBuffer
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev, prevOut, prevFlags := slog.Default(), log.Writer(), log.Flags()
	slog.SetDefault(lg) // Konsole reports 5xx answers on the default logger
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })

	k := kt.Start(t, kt.Options{Configure: func(c *konsole.Config) { c.Logger = lg }})
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		c.Token, c.Logger, c.UI = "bridge-"+auth.NewToken(), lg, frontend.Dist()
	})
	h.waitConnected()
	var seen []string // every body, ack and frame a client got
	keep := func(what string, b []byte) { seen = append(seen, what+": "+string(b)) }

	// Wrong tokens on Konsole, in both forms, on plain routes, the event
	// stream and /mcp.
	for _, tok := range badTokens(k.Token) {
		for _, p := range []string{"/v1/sessions", "/v1/events", "/mcp", "/v1/kontasks"} {
			for _, query := range []bool{false, true} {
				method := "GET"
				if p == "/mcp" {
					method = "POST"
				}
				a := do(t, k.URL, method, p, tok, query, "")
				keep("konsole "+p, a.body)
			}
		}
	}
	// Wrong tokens on the bridge's REST API and WebSocket.
	for _, tok := range badTokens(h.token) {
		for _, p := range []string{"/api/sessions", "/api/health", "/api/kontasks"} {
			for _, query := range []bool{false, true} {
				keep("bridge "+p, do(t, h.srv.URL, "GET", p, tok, query, "").body)
			}
		}
		_, resp, err := h.dial("token="+url.QueryEscape(tok)+"&clientId=bad", nil)
		if err == nil {
			t.Fatal("a wrong token opened the WebSocket")
		}
		body, _ := io.ReadAll(resp.Body)
		keep("ws", body)
	}
	// The right token from a foreign origin.
	if _, resp, err := h.dial("token="+h.token+"&clientId=evil", http.Header{"Origin": {"https://evil.example"}}); err == nil {
		t.Fatal("a foreign origin opened the WebSocket")
	} else {
		body, _ := io.ReadAll(resp.Body)
		keep("ws evil", body)
	}

	// A bridge with a wrong Konsole token: its stream, its proxy and its
	// requests are refused by Konsole.
	wrongK := startBridge(t, k.URL, k.Token+"-wrong", func(c *bridge.Config) { c.Logger = lg })
	wc := wrongK.connect("clientId=w")
	for _, f := range wc.until(10*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == "down" }) {
		keep("frame", f.raw)
	}
	keep("proxy", do(t, wrongK.srv.URL, "GET", "/api/sessions", wrongK.token, false, "").body)
	keep("ack", wc.request("prompt", map[string]any{"sessionId": "s", "text": "hi"}).raw)
	keep("ack", wc.request("kontask.choose", map[string]any{"kontaskId": "k", "value": "v"}).raw)

	// A session with an agent: a turn that delivers a kontask over MCP
	// with the session's token, and a tool call that asks permission.
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/sessions", strings.NewReader(`{"cwd":"`+k.Work+`"}`))
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var sess struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&sess); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := h.connect("clientId=leak")
	ack := c.request("prompt", map[string]any{"sessionId": sess.ID, "text": `[[kontask: {"title":"Leak check","choices":[{"label":"Go","value":"go on"}]}]]`})
	keep("ack", ack.raw)
	var r struct{ TurnID string }
	if err := json.Unmarshal(ack.Result, &r); err != nil {
		t.Fatal(err)
	}
	frames := c.until(90*time.Second, turnDone(r.TurnID))
	var kontaskID string
	for _, f := range frames {
		keep("frame", f.raw)
		if e := f.ev(); e.Type == "kontask.created" {
			var d struct{ Kontask struct{ ID string } }
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			kontaskID = d.Kontask.ID
		}
	}
	if kontaskID == "" {
		t.Fatal("the agent delivered no kontask")
	}
	s := do(t, h.srv.URL, "GET", "/api/sessions/"+sess.ID, h.token, false, "")
	var st struct{ AgentPid int }
	if err := json.Unmarshal(s.body, &st); err != nil {
		t.Fatal(err)
	}
	mcpTok := agentToken(t, st.AgentPid)
	for _, tok := range badTokens(mcpTok) {
		keep("mcp", do(t, k.URL, "POST", "/mcp", tok, false, "").body)
		keep("konsole", do(t, k.URL, "GET", "/v1/sessions", tok, false, "").body)
	}
	ack = c.request("prompt", map[string]any{"sessionId": sess.ID, "text": "[[bash: echo hello > hello.txt; cat hello.txt]]"})
	keep("ack", ack.raw)
	if err := json.Unmarshal(ack.Result, &r); err != nil {
		t.Fatal(err)
	}
	asked := false
	for _, f := range c.until(90*time.Second, func(f frame) bool {
		e := f.ev()
		if e.Type == "permission.request" {
			asked = true
			var d struct{ RequestID string }
			json.Unmarshal(e.Data, &d)
			c.send(map[string]any{"id": "perm", "type": "permission", "sessionId": sess.ID, "requestId": d.RequestID, "behavior": "allow"})
		}
		return turnDone(r.TurnID)(f)
	}) {
		keep("frame", f.raw)
	}
	if !asked {
		t.Fatal("the tool call asked no permission")
	}
	keep("ack", c.request("kontask.choose", map[string]any{"kontaskId": kontaskID, "value": "go on"}).raw)
	keep("ack", c.request("stop", map[string]any{"sessionId": sess.ID}).raw)
	keep("delete", do(t, h.srv.URL, "DELETE", "/api/sessions/"+sess.ID, h.token, false, "").body)
	k.Server.Log().Flush()

	out := logs.String()
	if !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "/v1/sessions") {
		t.Fatalf("the debug log was not captured: %.500s", out)
	}
	everything := out + strings.Join(seen, "\n")
	for name, tok := range map[string]string{"Konsole": k.Token, "bridge": h.token, "MCP": mcpTok} {
		// The token without its last character also finds a wrong token
		// made from it.
		if i := strings.Index(everything, tok[:len(tok)-1]); i >= 0 {
			t.Errorf("the %s token appears: ...%s...", name, everything[max(0, i-300):min(len(everything), i+100)])
		}
	}
	t.Logf("searched %d bytes of debug logs and %d answers", len(out), len(seen))
}

// TestSecretFilesAndFoldersArePrivate checks the modes of what konui
// writes that holds a secret: the token "konui konsole" generates, the
// desktop settings with profile tokens, the bridge's notify state, and the
// Konsole data folder of "konui konsole".
func TestSecretFilesAndFoldersArePrivate(t *testing.T) {
	root := t.TempDir()
	mode := func(p string, want fs.FileMode) {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}

	t.Run("konsole token", func(t *testing.T) {
		bin := buildKonui(t)
		cfgHome, dataHome := filepath.Join(root, "cfg"), filepath.Join(root, "data")
		path := filepath.Join(cfgHome, "konui", "konsole-token")
		// run starts "konui konsole" and returns what it printed up to the
		// line that says it listens, and its log.
		run := func() (printed, logged string) {
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "konsole", "--listen", "127.0.0.1:0", "--claude", "/bin/false", "--log-level", "debug")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root, "XDG_CONFIG_HOME=" + cfgHome, "XDG_DATA_HOME=" + dataHome}
			cmd.Stderr = &stderr
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			lines := make(chan string, 10)
			go func() {
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			deadline := time.After(20 * time.Second)
			var all []string
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatalf("konui konsole ended: %s", stderr.String())
					}
					all = append(all, l)
					if strings.HasPrefix(l, "Konsole listening") {
						cmd.Process.Signal(syscall.SIGTERM)
						cmd.Wait()
						return strings.Join(all, "\n"), stderr.String()
					}
				case <-deadline:
					cmd.Process.Kill()
					cmd.Wait()
					t.Fatalf("konui konsole did not start: %s", stderr.String())
				}
			}
		}
		// The first start generates the token and names its file; no start
		// prints the token itself (issue 13: service logs and journals).
		printed, logged := run()
		stored, _ := os.ReadFile(path)
		tok := strings.TrimSpace(string(stored))
		if len(tok) != 64 {
			t.Fatalf("stored %q", stored)
		}
		if !strings.Contains(printed, "Generated a token in "+path) {
			t.Errorf("the first start did not name the token file: %q", printed)
		}
		if strings.Contains(printed, tok) || strings.Contains(logged, tok) {
			t.Errorf("the first start printed the token: %q %q", printed, logged)
		}
		mode(path, 0o600)
		mode(filepath.Join(cfgHome, "konui"), 0o700)
		mode(cfgHome, 0o700)
		for _, p := range []string{filepath.Join(dataHome, "konui", "konsole"), filepath.Join(dataHome, "konui")} {
			mode(p, 0o700)
		}
		mode(filepath.Join(dataHome, "konui", "konsole", "konsole.db"), 0o600)
		printed, logged = run()
		if again, _ := os.ReadFile(path); string(again) != string(stored) {
			t.Fatalf("the second run replaced the token")
		}
		if strings.Contains(printed, tok) || strings.Contains(logged, tok) || strings.Contains(printed, "Generated") {
			t.Errorf("the second start announced the token: %q %q", printed, logged)
		}
		mode(path, 0o600)
	})

	// The desktop's settings.json beside it is checked in app
	// (TestTheSettingsFileAndItsFoldersArePrivate).
	t.Run("the Konsole list", func(t *testing.T) {
		// The tokens of the remote Konsoles are in konsoles.json.
		list := filepath.Join(root, "desktop-cfg", "konui", fleet.FileName)
		fl, err := fleet.Open(list, fleet.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fl.ImportProfiles([]fleet.Profile{{ID: "devbox", Name: "devbox", URL: "https://devbox:7421", Token: "profile-secret"}}); err != nil {
			t.Fatal(err)
		}
		mode(list, 0o600)
		// Saved again (replaced atomically), still private.
		name := "dev box"
		if err := fl.Update("devbox", &name, nil); err != nil {
			t.Fatal(err)
		}
		mode(list, 0o600)
	})

	t.Run("bridge notify state", func(t *testing.T) {
		dir := filepath.Join(root, "state", "bridge-x")
		b, err := bridge.New(bridge.Config{KonsoleURL: "http://127.0.0.1:1", KonsoleToken: "t", Token: "b",
			Notifier: nopNotifier{}, StateDir: dir, Logger: quietLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		b.Close()
		mode(filepath.Join(dir, "notified-kontasks.json"), 0o600)
		mode(dir, 0o700)
		mode(filepath.Dir(dir), 0o700)
	})
}

type nopNotifier struct{}

func (nopNotifier) KontaskCreated(bridge.Kontask) {}

// konui serve refuses plain http on a non-loopback address. (konui konsole
// there serves a self-signed certificate and prints a pairing string since
// issue 19: backend/cli's konsole_pairing_test.go; konsole.CheckListen
// still refuses, TestPlainHTTPOnANonLoopbackAddressIsRefused in backend/cli.)
func TestPlainHTTPOnANonLoopbackAddressIsRefused(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", ":0"} {
		for _, mode := range []string{"serve"} {
			var out, errb bytes.Buffer
			args := []string{mode, "--listen", addr, "--data", t.TempDir()}
			t.Setenv("KONSOLE_TOKEN", "t")
			if code := cli.Main(args, &out, &errb); code == 0 || !strings.Contains(errb.String(), "--insecure-remote") {
				t.Errorf("konui %s --listen %s: code %d, stderr %q", mode, addr, code, errb.String())
			}
			if strings.Contains(out.String(), "listening") || strings.Contains(out.String(), "Open:") {
				t.Errorf("konui %s --listen %s started: %q", mode, addr, out.String())
			}
		}
	}
}
