package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildDesktop builds the desktop binary (what make desktop builds).
func buildDesktop(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the desktop binary")
	}
	bin := filepath.Join(t.TempDir(), "konui-desktop")
	build := exec.Command("go", "build", "-tags", "desktop,production,webkit2_41", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the desktop binary: %v\n%s", err, out)
	}
	return bin
}

// homeEnv is an environment with a fresh HOME and XDG folders and no display.
func homeEnv(t *testing.T) []string {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DISPLAY" && k != "WAYLAND_DISPLAY" && k != "KONUI_TOKEN" && k != "KONSOLE_URL" {
			env = append(env, kv)
		}
	}
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"XDG_DATA_HOME="+filepath.Join(home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
}

// TestTheDesktopBuildWithoutADisplayServesForABrowser: the window mode of
// the desktop build says there is no display and runs konui serve with the
// same flags; its own flags are still parsed when there is a display.
func TestTheDesktopBuildWithoutADisplayServesForABrowser(t *testing.T) {
	bin := buildDesktop(t)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--log-level", "error")
	cmd.Env = homeEnv(t)
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var said []string
	deadline := time.After(60 * time.Second)
	for served := false; !served; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("konui exited; stdout %q stderr %q", said, stderr.String())
			}
			said = append(said, l)
			served = strings.HasPrefix(l, "Open: http://127.0.0.1:")
		case <-deadline:
			t.Fatalf("no dashboard URL within 60 s; stdout %q stderr %q", said, stderr.String())
		}
	}
	if !strings.Contains(said[0], "no display found") {
		t.Fatalf("it did not say why no window opened: %q", said)
	}

	// With a display, the window's flags are parsed before anything opens:
	// a serve-only flag is refused with exit 2, -h prints the window's flags.
	withDisplay := append(homeEnv(t), "DISPLAY=:none")
	bad := exec.Command(bin, "--listen", "127.0.0.1:0")
	bad.Env = withDisplay
	var badErr bytes.Buffer
	bad.Stderr = &badErr
	if err := bad.Run(); err == nil || bad.ProcessState.ExitCode() != 2 || !strings.Contains(badErr.String(), "-listen") {
		t.Fatalf("--listen in window mode: %v, stderr %q", err, badErr.String())
	}
	help := exec.Command(bin, "-h")
	help.Env = withDisplay
	if b, err := help.Output(); err != nil || !strings.Contains(string(b), "-konsole-token-file") {
		t.Fatalf("konui -h: %v %q", err, b)
	}
	refused := exec.Command(bin, "--konsole-token", "x")
	refused.Env = withDisplay
	if b, err := refused.CombinedOutput(); err == nil || refused.ProcessState.ExitCode() != 2 || !strings.Contains(string(b), "is refused") {
		t.Fatalf("--konsole-token: %v %q", err, b)
	}
}
