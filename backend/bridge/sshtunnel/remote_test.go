//go:build linux

package sshtunnel_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/konui/konui/backend/bridge/sshtunnel"
	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

var (
	buildDir  string
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	// The Konsole that `konui konsole --over-ssh` starts leaves its parent
	// behind: as a subreaper this test process becomes its parent then and
	// can reap it (this container's init does not).
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintln(os.Stderr, "failed to become a subreaper:", errno)
		os.Exit(1)
	}
	var err error
	buildDir, err = os.MkdirTemp("", "konui-sshtunnel-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := os.RemoveAll(buildDir); err != nil {
		fmt.Fprintln(os.Stderr, "failed to remove the test binaries:", err)
	}
	os.Exit(code)
}

// konuiBinary builds konui once for the whole run: the remote command.
func konuiBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		builtBin = filepath.Join(buildDir, "konui")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/konui/konui").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// remote is "another machine": an sshd on 127.0.0.1 whose sessions have
// their own HOME and XDG folders, the pinned Claude Code CLI and the fake
// Messages API, and the real konui binary to run there.
type remote struct {
	t       *testing.T
	sshd    *sshd
	fake    *fakeapi.Server
	konui   string
	home    string
	dataDir string // the Konsole's data dir there
	work    string // a folder for sessions
	// port is the Konsole's default port there ($KONUI_KONSOLE_LISTEN):
	// a free one, not 7421, which other tests or the machine's own
	// Konsole may hold.
	port int
}

// startRemote starts it; path, when not "", is the sessions' PATH.
func startRemote(t *testing.T, path string) *remote {
	t.Helper()
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	r := &remote{t: t, fake: fake, konui: konuiBinary(t), home: t.TempDir()}
	r.dataDir = filepath.Join(r.home, "data", "konui", "konsole")
	r.work = filepath.Join(r.home, "work")
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		t.Fatal(err)
	}
	r.port = freePort(t)
	env := map[string]string{
		"KONUI_KONSOLE_LISTEN": "127.0.0.1:" + strconv.Itoa(r.port),
		"XDG_DATA_HOME":        filepath.Join(r.home, "data"),
		"XDG_CONFIG_HOME":      filepath.Join(r.home, "config"),
		"KONUI_CLAUDE":         kt.ClaudePath(t),
	}
	for _, kv := range kt.AgentEnv(r.home, fake.URL) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if path != "" {
		env["PATH"] = path
	}
	// Registered after the folders: it runs before they are removed.
	t.Cleanup(r.stopKonsole)
	r.sshd = startSSHD(t, env)
	return r
}

// options are o with the first forward going to the remote's default port.
func (r *remote) options(o sshtunnel.Options) sshtunnel.Options {
	o.RemotePort = r.port
	return o
}

// url is the target for the remote konui.
func (r *remote) url() string { return "ssh://konui-test?konui=" + r.konui }

// konsole is the Konsole running there, from its run file.
func (r *remote) konsole() (runfile.Info, bool) {
	i, ok, err := runfile.Read(r.dataDir)
	if err != nil {
		r.t.Fatal(err)
	}
	return i, ok && !zombie(i.PID)
}

// stopKonsole ends the remote Konsole the way a person does (SIGTERM: it
// ends its agents), and reaps it.
func (r *remote) stopKonsole() { kt.StopKonsoleOf(r.dataDir) }

// zombie tells whether pid has ended but is not reaped yet.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || strings.HasPrefix(s[i+1:], " Z")
}

// sessionOf is the session id of pid (/proc/PID/stat's sixth field).
func sessionOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var state byte
	var ppid, pgrp, sid int
	if _, err := fmt.Sscanf(s[strings.LastIndexByte(s, ')')+2:], "%c %d %d %d", &state, &ppid, &pgrp, &sid); err != nil {
		t.Fatalf("failed to read /proc/%d/stat: %v", pid, err)
	}
	return sid
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

var _ io.Writer = testWriter{}

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER of prctl(2) (Linux).
const prSetChildSubreaper = 36
