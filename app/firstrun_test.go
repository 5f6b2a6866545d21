package app

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func TestTheWindowFitsTheScreenAndARestoredPositionIsClampedOntoIt(t *testing.T) {
	for _, c := range []struct {
		name   string
		saved  *Geometry
		sw, sh int
		want   Geometry
	}{
		{"default on 1280x800", nil, 1280, 800, Geometry{X: 20, Y: 40, Width: 1240, Height: 720}},
		{"default on a big screen", nil, 2560, 1440, Geometry{X: 640, Y: 310, Width: 1280, Height: 820}},
		{"saved and visible", &Geometry{X: 100, Y: 50, Width: 1000, Height: 700}, 1920, 1080, Geometry{X: 100, Y: 50, Width: 1000, Height: 700}},
		{"saved off to the right and below", &Geometry{X: 3000, Y: 2000, Width: 1000, Height: 700}, 1920, 1080, Geometry{X: 920, Y: 380, Width: 1000, Height: 700}},
		{"saved off to the left and above", &Geometry{X: -900, Y: -300, Width: 1000, Height: 700}, 1920, 1080, Geometry{X: 0, Y: 0, Width: 1000, Height: 700}},
		{"saved larger than this screen", &Geometry{X: 10, Y: 10, Width: 2400, Height: 1300}, 1366, 768, Geometry{X: 10, Y: 10, Width: 1326, Height: 688}},
		{"saved too small keeps its place", &Geometry{X: 30, Y: 30, Width: 100, Height: 100}, 1920, 1080, Geometry{X: 30, Y: 30, Width: 1280, Height: 820}},
	} {
		if got := FitWindow(c.saved, c.sw, c.sh); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestClosingHidesToTheTrayOnlyWhileATrayHostIsThere(t *testing.T) {
	st, _ := OpenSettings(filepath.Join(t.TempDir(), "settings.json"))
	var host atomic.Bool
	d := NewDesktop(DesktopConfig{Settings: st, TrayHost: host.Load})
	if err := d.SetHideToTray(true); err != nil {
		t.Fatal(err)
	}
	if d.HidesOnClose() || d.GetSettings().TrayAvailable {
		t.Fatal("the window would hide with no tray host to bring it back")
	}
	host.Store(true)
	if !d.HidesOnClose() || !d.GetSettings().TrayAvailable {
		t.Fatal("a tray host is there but closing does not hide")
	}
	if err := d.SetHideToTray(false); err != nil {
		t.Fatal(err)
	}
	if d.HidesOnClose() {
		t.Fatal("hides although the setting is off")
	}
}

// privateBus starts a dbus-daemon of its own and connects to it.
func privateBus(t *testing.T) (*dbus.Conn, string) {
	t.Helper()
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--print-address=1")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Skip("dbus-daemon is not installed: ", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	addr = strings.TrimSpace(addr)
	dial := func() *dbus.Conn {
		c, err := dbus.Connect(addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return dial(), addr
}

func TestTrayHostPresentAsksTheWatcherOnTheBus(t *testing.T) {
	conn, addr := privateBus(t)
	if TrayHostPresent(conn) {
		t.Fatal("a tray host without a watcher")
	}
	host, _ := dbus.Connect(addr)
	defer host.Close()
	props, err := prop.Export(host, "/StatusNotifierWatcher", prop.Map{"org.kde.StatusNotifierWatcher": {
		"IsStatusNotifierHostRegistered": {Value: false, Writable: true, Emit: prop.EmitTrue, Callback: nil},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := host.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
		t.Fatal(err, r)
	}
	if TrayHostPresent(conn) {
		t.Fatal("a watcher with no host registered counts as a tray host")
	}
	props.SetMust("org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered", true)
	if !TrayHostPresent(conn) {
		t.Fatal("the registered host was not seen")
	}
}

func TestAClaudePathSetInSettingsIsCheckedSavedAndUsedAtOnce(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PATH", filepath.Join(home, "empty"))
	st, _ := OpenSettings(filepath.Join(home, "settings.json"))
	d := NewDesktop(DesktopConfig{Settings: st, DataDir: filepath.Join(home, "data")})
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	if in := d.stack.Konsole.Agent(); in.OK() {
		t.Fatalf("found a CLI in an empty home: %+v", in)
	}
	old := filepath.Join(home, "old-claude")
	if err := os.WriteFile(old, []byte("#!/bin/sh\necho '1.0.44 (Claude Code)'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := d.SetClaudePath(old)
	if err != nil || in.Code != "agent_too_old" || d.GetSettings().ClaudePath != "" {
		t.Fatalf("an old CLI: %+v %v, saved %q", in, err, d.GetSettings().ClaudePath)
	}
	real := kt.ClaudePath(t)
	if in, err = d.SetClaudePath(real); err != nil || !in.OK() || in.Version != "2.1.328" {
		t.Fatalf("the real CLI: %+v %v", in, err)
	}
	if d.GetSettings().ClaudePath != real || d.stack.Konsole.Agent().Path != real {
		t.Fatal("not saved or not used at once")
	}
	d.Stop()
	// The next start uses the saved path.
	again := NewDesktop(DesktopConfig{Settings: st, DataDir: filepath.Join(home, "data")})
	if err := again.Start(); err != nil {
		t.Fatal(err)
	}
	defer again.Stop()
	if got := again.stack.Konsole.Agent(); got.Path != real {
		t.Fatalf("after a restart: %+v", got)
	}
}
