package konsole_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/shared/apierror"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// send makes one request with the right token and the given Host, Origin
// and Content-Type (none when empty) and returns the status and body.
func send(t *testing.T, h *kt.Harness, r konsoleRoute, host, origin, ctype string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(r.method, h.URL+r.url(), body)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	req.Header.Set("Authorization", "Bearer "+h.Token)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if r.path == "/mcp" {
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	if strings.Contains(resp.Header.Get("Content-Type"), "text/event-stream") {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestAForeignHostNameGets421 is the DNS-rebinding probe (issue 13, 6): a
// page on evil.example resolved to 127.0.0.1 reaches Konsole with its own
// name as Host and is refused on every route, the right token or not.
func TestAForeignHostNameGets421(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(h.URL, "http://"))
	routes := append([]konsoleRoute{{"GET", "/healthz"}}, konsoleRoutes...)
	for _, r := range routes {
		for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "localhost.evil.example"} {
			status, body := send(t, h, r, host, "", "application/json", r.body())
			if status != http.StatusMisdirectedRequest || !isJSONError(body, "bad_host") {
				t.Errorf("%s %s with Host %s: %d %s", r.method, r.path, host, status, body)
			}
		}
	}
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "konui.localhost:" + port} {
		if status, body := send(t, h, konsoleRoute{"GET", "/v1/sessions"}, host, "", "", nil); status != http.StatusOK {
			t.Errorf("Host %s: %d %s", host, status, body)
		}
	}
}

// TestRefusedHeaderValuesAreQuotedWholeCharactersOnly: a long Origin or
// Content-Type quoted in the error is cut between characters, so a
// client reads the text it sent, not U+FFFD where a byte cut split one.
func TestRefusedHeaderValuesAreQuotedWholeCharactersOnly(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	long := strings.Repeat("é", 200)
	for _, c := range []struct{ origin, ctype, code string }{
		{"https://x" + long, "application/json", "forbidden_origin"},
		{"", "text/x" + long, apierror.CodeUnsupported},
	} {
		status, body := send(t, h, konsoleRoute{"POST", "/v1/sessions"}, "", c.origin, c.ctype, strings.NewReader(`{}`))
		var e struct{ Error, Code string }
		if err := json.Unmarshal(body, &e); err != nil || e.Code != c.code {
			t.Fatalf("origin %.12q, Content-Type %.12q: %d %s", c.origin, c.ctype, status, body)
		}
		if strings.ContainsRune(e.Error, utf8.RuneError) || !strings.Contains(e.Error, "éé…") {
			t.Errorf("the quoted value is not cut between characters: %q", e.Error)
		}
	}
}

// TestKonsoleRefusesBrowserOriginsAndBodiesThatAreNotJSON: Konsole serves
// no pages, so a request that carries another Origin is refused, and a
// body must be declared JSON (a cross-site form cannot), 415 otherwise.
func TestKonsoleRefusesBrowserOriginsAndBodiesThatAreNotJSON(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	for _, r := range konsoleRoutes {
		for _, o := range []string{"https://evil.example", "null", "http://localhost:1", "wails://wails"} {
			status, body := send(t, h, r, "", o, "application/json", r.body())
			if status != http.StatusForbidden || !isJSONError(body, "forbidden_origin") {
				t.Errorf("%s %s from %s: %d %s", r.method, r.path, o, status, body)
			}
		}
		if r.body() == nil {
			continue
		}
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
			status, body := send(t, h, r, "", "", ct, r.body())
			if status != http.StatusUnsupportedMediaType || !isJSONError(body, apierror.CodeUnsupported) {
				t.Errorf("%s %s with Content-Type %q: %d %s", r.method, r.path, ct, status, body)
			}
		}
	}
	if status, body := send(t, h, konsoleRoute{"GET", "/v1/sessions"}, "", strings.TrimSuffix(h.URL, "/"), "", nil); status != http.StatusOK {
		t.Errorf("Konsole's own origin: %d %s", status, body)
	}
}

// TestIdleKeepAliveConnectionsAreCappedAndClosed is the probe of 500
// unauthenticated keep-alive connections after a 401 (issue 13, 5): at most
// MaxConns are served at once, and an idle one is closed after IdleTimeout,
// which lets the others in.
func TestIdleKeepAliveConnectionsAreCappedAndClosed(t *testing.T) {
	const conns, limit = 500, 100
	h := kt.Start(t, kt.Options{Configure: func(c *konsole.Config) {
		c.MaxConns, c.IdleTimeout = limit, 400*time.Millisecond
	}})
	addr := strings.TrimPrefix(h.URL, "http://")
	start := time.Now()
	var answeredEarly, answered, closed atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
				t.Error(err)
				return
			}
			fmt.Fprintf(c, "GET /v1/sessions HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				answered.Add(1)
				if time.Since(start) < 300*time.Millisecond {
					answeredEarly.Add(1)
				}
			}
			if _, err := br.ReadByte(); err == io.EOF {
				closed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := answeredEarly.Load(); n > limit {
		t.Errorf("%d connections were served at once, more than the cap of %d", n, limit)
	}
	if answered.Load() != conns || closed.Load() != conns {
		t.Errorf("of %d connections %d got their 401 and %d were closed when idle", conns, answered.Load(), closed.Load())
	}
	t.Logf("%d served in the first 300 ms, all %d answered and closed in %v", answeredEarly.Load(), conns, time.Since(start))
}
