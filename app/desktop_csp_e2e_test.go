package app_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// remotePayloads are the sources of issue 25 that made one assistant
// message fetch from an outside listener with no click, each pointing at
// base (one path per payload, to name what got through).
func remotePayloads(base string) string {
	u := func(name string) string { return base + "/" + name }
	return strings.Join([]string{
		"Here is what I found.",
		`<img src="` + u("img") + `">`,
		`<img srcset="` + u("srcset") + ` 1x">`,
		`<picture><source srcset="` + u("picture") + `"><img alt="p"></picture>`,
		`<video poster="` + u("poster") + `"></video>`,
		`<audio src="` + u("audio") + `" autoplay></audio>`,
		`<svg width="10" height="10"><image href="` + u("svg-image") + `" width="10" height="10"></image></svg>`,
		`<table background="` + u("table-background") + `"><tr><td>cell</td></tr></table>`,
		`![markdown image](` + u("markdown-image") + `)`,
	}, "\n\n")
}

// TestDesktopWindowLoadsNoRemoteSource: the real window shows an
// assistant message carrying the payloads; a local listener they all point
// at receives no request (before the window had a policy and the sanitiser
// a hook, it received one per payload).
func TestDesktopWindowLoadsNoRemoteSource(t *testing.T) {
	if os.Getenv("KONUI_DESKTOP_E2E") == "" {
		t.Skip("needs a display and a private session bus: run \"make test-desktop\"")
	}
	if os.Getenv("DISPLAY") == "" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Fatal("KONUI_DESKTOP_E2E is set but DISPLAY or DBUS_SESSION_BUS_ADDRESS is not: run under xvfb-run and dbus-run-session")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	bin := filepath.Join(t.TempDir(), "konui-desktop")
	build := exec.Command("go", "build", "-tags", "desktop,production,webkit2_41", "-o", bin, ".")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the desktop binary: %v\n%s", err, out)
	}

	var mu sync.Mutex
	var hits []string
	outside := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.URL.Path)
		mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
	}))
	defer outside.Close()

	// The fake API echoes the prompt: the assistant's answer is the payloads.
	k := kt.Start(t, kt.Options{})
	sid := k.CreateSession()
	st := k.Events(-1)
	turn := k.Prompt(sid, remotePayloads(outside.URL))
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))

	// The window reaches that Konsole through a proxy that says when the
	// page asked for the session's transcript.
	target, _ := url.Parse(k.URL)
	fetched := make(chan struct{})
	var once sync.Once
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.ServeHTTP(w, r)
		if r.URL.Path == "/v1/sessions/"+sid+"/messages" {
			once.Do(func() { close(fetched) })
		}
	}))
	defer proxy.Close()

	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"KONSOLE_TOKEN="+k.Token)
	stderr := &syncWriter{b: &bytes.Buffer{}}
	win := exec.Command(bin, "--konsole", proxy.URL, "--claude", kt.ClaudePath(t), "--log-level", "debug")
	win.Env, win.Stderr, win.Stdout = env, stderr, os.Stdout
	if err := win.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { win.Process.Kill(); win.Wait() }()
	waitUntil(t, 60*time.Second, "the page to connect through the bound methods", func() bool {
		return strings.Contains(stderr.String(), "dashboard ready")
	})
	select {
	case <-fetched:
	case <-time.After(60 * time.Second):
		t.Fatalf("the window never loaded the session's transcript:\n%s", stderr.String())
	}
	// The page renders the transcript as soon as it has it; the sources
	// would be asked for at once. The screenshot shows the message.
	time.Sleep(3 * time.Second)
	artifacts := filepath.Join(root, "test-artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("import", "-window", "root", filepath.Join(artifacts, "desktop-remote-sources.png")).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v %s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hits) != 0 {
		t.Fatalf("the window fetched %d remote sources: %s", len(hits), fmt.Sprint(hits))
	}
}
