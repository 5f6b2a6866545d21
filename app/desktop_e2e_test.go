package app_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// notifyServer plays org.freedesktop.Notifications and records Notify calls.
type notifyServer struct {
	mu    sync.Mutex
	calls []string
}

func (n *notifyServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.calls = append(n.calls, summary+"\n"+body)
	return uint32(len(n.calls)), nil
}
func (n *notifyServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body"}, nil
}
func (n *notifyServer) CloseNotification(id uint32) *dbus.Error { return nil }
func (n *notifyServer) GetServerInformation() (string, string, string, string, *dbus.Error) {
	return "konui-test", "konui", "1", "1.2", nil
}

func (n *notifyServer) summaries() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.calls...)
}

// watcher plays org.kde.StatusNotifierWatcher, where tray items register.
type watcher struct {
	mu    sync.Mutex
	items []string
}

func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.items = append(w.items, string(sender)+" "+service)
	return nil
}
func (w *watcher) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

func (w *watcher) registered() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.items)
}

func own(t *testing.T, conn *dbus.Conn, name string) {
	t.Helper()
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("failed to own %s on the session bus: %v (%v)", name, err, reply)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDesktopWindowNotifiesTraysAndStaysSingle runs the real desktop binary
// under Xvfb on a private session bus (make test-desktop runs it inside
// xvfb-run and dbus-run-session).
func TestDesktopWindowNotifiesTraysAndStaysSingle(t *testing.T) {
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

	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	notes := &notifyServer{}
	if err := conn.Export(notes, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	own(t, conn, "org.freedesktop.Notifications")
	w := &watcher{}
	if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
		t.Fatal(err)
	}
	if _, err := prop.Export(conn, "/StatusNotifierWatcher", prop.Map{"org.kde.StatusNotifierWatcher": {
		"IsStatusNotifierHostRegistered": {Value: true},
		"RegisteredStatusNotifierItems":  {Value: []string{}},
		"ProtocolVersion":                {Value: int32(0)},
	}}); err != nil {
		t.Fatal(err)
	}
	own(t, conn, "org.kde.StatusNotifierWatcher")

	k := kt.Start(t, kt.Options{})
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	firstErr := &syncWriter{b: &bytes.Buffer{}}
	first := exec.Command(bin, "--konsole", k.URL, "--claude", kt.ClaudePath(t), "--log-level", "debug")
	first.Env = append(env, "KONSOLE_TOKEN="+k.Token)
	first.Stderr, first.Stdout = firstErr, os.Stdout
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { first.Process.Kill(); first.Wait() }()

	waitUntil(t, 30*time.Second, "the tray item to register", func() bool { return w.registered() > 0 })
	waitUntil(t, 30*time.Second, "the bridge to follow Konsole", func() bool { return strings.Contains(firstErr.String(), "bridge ready") })
	// The window runs its local Konsole beside the one of --konsole.
	if !strings.Contains(firstErr.String(), "konsoles=2") {
		t.Fatalf("the window does not follow its local Konsole and the --konsole one: %s", firstErr.String())
	}
	// The page reached the bridge through the generated bindings
	// (Page.Connection) and reports it back through them (DashboardReady).
	waitUntil(t, 30*time.Second, "the page to connect through the bound methods", func() bool {
		return strings.Contains(firstErr.String(), "dashboard ready")
	})

	sid := k.CreateSession()
	st := k.Events(-1)
	turn := k.Prompt(sid, `[[kontask: {"title":"Desktop kontask arrived","description":"Made by the real CLI through MCP","output":"<p>ok</p>","choices":[{"label":"Next","value":"do the next thing"}]}]]`)
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	waitUntil(t, 30*time.Second, "a Notify call with the kontask's title", func() bool {
		for _, s := range notes.summaries() {
			if strings.HasPrefix(s, "Desktop kontask arrived\n") {
				return true
			}
		}
		return false
	})
	time.Sleep(2 * time.Second) // let the page render the new kontask
	artifacts := filepath.Join(root, "test-artifacts")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(artifacts, "desktop-window.png")
	if out, err := exec.Command("import", "-window", "root", shot).CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v %s", err, out)
	}
	count := 0
	for _, s := range notes.summaries() {
		if strings.HasPrefix(s, "Desktop kontask arrived\n") {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("the kontask was notified %d times", count)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, bin)
	second.Env = env
	start := time.Now()
	out, err := second.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the second launch did not exit: %s", out)
	}
	if err != nil {
		t.Fatalf("the second launch raised the first but failed: %v\n%s", err, out)
	}
	waitUntil(t, 10*time.Second, "the first window to be raised", func() bool {
		return strings.Contains(firstErr.String(), "a second konui was started; raising this window")
	})
	t.Logf("second launch exited after %s; notifications: %q", time.Since(start).Round(time.Millisecond), notes.summaries())
	if first.ProcessState != nil {
		t.Fatal("the first instance exited")
	}
}

type syncWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
