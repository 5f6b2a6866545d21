package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// konuiBinary builds konui once per test run (into a folder removed by TestMain).
func konuiBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds konui")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "konui-cli-test-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "konui")
		out, err := exec.Command("go", "build", "-o", binPath, "../..").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("go build: %v\n%s", binErr, binPath)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		if err := os.RemoveAll(binDir); err != nil {
			fmt.Fprintln(os.Stderr, "failed to remove the test binaries:", err)
		}
	}
	os.Exit(code)
}

// konsoleProc is a real `konui konsole` process with its own HOME.
type konsoleProc struct {
	cmd  *exec.Cmd
	home string
	data string
	out  *lineReader
}

// testEnv is a clean environment under home (no inherited tokens).
// testEnv is a konui's environment under home. Its Konsoles listen on a
// free port unless told otherwise: the default one (7421) is another
// test's, or the machine's own Konsole's.
func testEnv(home string, extra ...string) []string {
	return append([]string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "KONUI_KONSOLE_LISTEN=127.0.0.1:0"}, extra...)
}

// startKonsole starts `konui konsole` with args and waits for its
// "Konsole listening" line.
func startKonsole(t *testing.T, home string, env []string, args ...string) *konsoleProc {
	t.Helper()
	data := filepath.Join(home, "data")
	cmd := exec.Command(konuiBinary(t), append([]string{"konsole", "--data", data, "--log-level", "error", "--claude", "/bin/false"}, args...)...)
	cmd.Env = append(testEnv(home), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &konsoleProc{cmd: cmd, home: home, data: data, out: newLineReader(stdout)}
	t.Cleanup(func() { p.kill() })
	if _, ok := p.out.waitFor("Konsole listening", 30*time.Second); !ok {
		t.Fatalf("konui konsole printed no \"Konsole listening\" within 30 s; it printed:\n%s", p.out.all())
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *konsoleProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("konui konsole exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("konui konsole did not stop within 15 s of SIGTERM")
	}
	p.cmd = nil
}

func (p *konsoleProc) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// lineReader collects a process's output lines.
type lineReader struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{}
}

func newLineReader(r io.Reader) *lineReader {
	l := &lineReader{more: make(chan struct{}, 1)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
			select {
			case l.more <- struct{}{}:
			default:
			}
		}
		close(l.more)
	}()
	return l
}

// waitFor returns the first line containing s, waiting up to d.
func (l *lineReader) waitFor(s string, d time.Duration) (string, bool) {
	deadline := time.After(d)
	for {
		l.mu.Lock()
		for _, line := range l.lines {
			if strings.Contains(line, s) {
				l.mu.Unlock()
				return line, true
			}
		}
		l.mu.Unlock()
		select {
		case _, open := <-l.more:
			if !open {
				l.mu.Lock()
				lines := l.lines
				l.mu.Unlock()
				for _, line := range lines {
					if strings.Contains(line, s) {
						return line, true
					}
				}
				return "", false
			}
		case <-deadline:
			return "", false
		}
	}
}

func (l *lineReader) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
