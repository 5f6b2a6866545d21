package app

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/konui/konui/backend/bridge"
)

// TestTheWindowAndServeShareOnePolicy: the window had no policy at all
// (issue 25): its asset server now sends konui serve's, with the bridge's
// loopback origins the only addition, and the page carries the same as a
// meta tag (less frame-ancestors, which a meta tag cannot hold).
func TestTheWindowAndServeShareOnePolicy(t *testing.T) {
	want := strings.Replace(bridge.ContentSecurityPolicy, "connect-src 'self'", "connect-src 'self' http://127.0.0.1:* ws://127.0.0.1:*", 1)
	if WindowContentSecurityPolicy != want || !strings.Contains(want, "http://127.0.0.1:*") {
		t.Fatalf("the window's policy drifted from serve's:\n%s\n%s", WindowContentSecurityPolicy, bridge.ContentSecurityPolicy)
	}
	for _, d := range []string{"img-src 'self' data: blob:", "script-src 'self'", "object-src 'none'", "default-src 'self'"} {
		if !strings.Contains(WindowContentSecurityPolicy, d) {
			t.Errorf("the window's policy lacks %q", d)
		}
	}

	rec := httptest.NewRecorder()
	withSecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html></html>")) })).
		ServeHTTP(rec, httptest.NewRequest("GET", "wails://wails/", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != WindowContentSecurityPolicy {
		t.Fatalf("the asset server sent %q", got)
	}

	_, file, _, _ := runtime.Caller(0)
	page, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "frontend", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("frontend/index.html has no Content-Security-Policy meta tag")
	}
	if meta := string(m[1]) + "; frame-ancestors 'none'"; meta != WindowContentSecurityPolicy {
		t.Fatalf("the meta policy differs from the window's:\n%s\n%s", meta, WindowContentSecurityPolicy)
	}
}
