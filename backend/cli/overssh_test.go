//go:build linux

package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/testkit/konsoletest"
)

// overSSHRun is one `konui konsole --over-ssh` with its stdin held open.
type overSSHRun struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
	line   map[string]string
}

func startOverSSH(t *testing.T, home string, args ...string) *overSSHRun {
	t.Helper()
	cmd := exec.Command(konuiBinary(t), append([]string{"konsole", "--over-ssh", "--claude", "/bin/false", "--log-level", "warn"}, args...)...)
	cmd.Env = testEnv(home)
	r := &overSSHRun{cmd: cmd, stderr: &bytes.Buffer{}}
	var err error
	if r.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		got <- line
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-got:
		if err := json.Unmarshal([]byte(line), &r.line); err != nil {
			t.Fatalf("--over-ssh printed %q, not one JSON line", line)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("--over-ssh printed nothing within 40 s")
	}
	return r
}

// wait waits for the exit code, at most 10 s.
func (r *overSSHRun) wait(t *testing.T) int {
	t.Helper()
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("--over-ssh did not exit within 10 s")
	}
	return r.cmd.ProcessState.ExitCode()
}

// adoptOrphans makes this test process the parent of the Konsole that
// --over-ssh leaves behind (prctl PR_SET_CHILD_SUBREAPER), so that the
// test can reap it.
func adoptOrphans(t *testing.T) {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, 36, 1, 0); errno != 0 {
		t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", errno)
	}
}

func TestOverSSHStartsADetachedKonsoleAnswersAndLeavesItRunning(t *testing.T) {
	adoptOrphans(t)
	home := t.TempDir()
	data := filepath.Join(home, ".local", "share", "konui", "konsole")
	t.Cleanup(func() { konsoletest.StopKonsoleOf(data) })

	r := startOverSSH(t, home)
	if !strings.HasPrefix(r.line["url"], "http://127.0.0.1:") || r.line["token"] == "" || r.line["version"] == "" {
		t.Fatalf("answer %v", r.line)
	}
	stored, err := auth.ReadTokenFile(filepath.Join(home, ".config", "konui", "konsole-token"))
	if err != nil || stored != r.line["token"] {
		t.Fatalf("the token is not the Konsole's stored one (%v)", err)
	}
	k, ok, err := runfile.Read(data)
	if err != nil || !ok || k.URL != r.line["url"] || k.Version != r.line["version"] {
		t.Fatalf("run file %+v ok=%v err=%v, answer %v", k, ok, err, r.line)
	}
	req, _ := http.NewRequest("GET", r.line["url"]+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+r.line["token"])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("the Konsole with the answered token: %v %v", resp, err)
	}
	log, _ := os.ReadFile(filepath.Join(data, "konsole.log"))
	if !strings.Contains(string(log), "Konsole listening on") {
		t.Fatalf("the Konsole's output is not in its log: %q", log)
	}

	// Stdin closes (the SSH connection ended): it exits, the Konsole stays.
	r.stdin.Close()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, r.stderr)
	}
	if r.stderr.Len() != 0 {
		t.Fatalf("it wrote to stderr (ssh would show it): %q", r.stderr)
	}
	if k2, ok, _ := runfile.Read(data); !ok || k2.PID != k.PID {
		t.Fatalf("the Konsole did not outlive --over-ssh: %+v", k2)
	}

	// The next one answers with the Konsole that runs.
	r2 := startOverSSH(t, home)
	if r2.line["url"] != r.line["url"] || r2.line["token"] != r.line["token"] {
		t.Fatalf("second answer %v, first %v", r2.line["url"], r.line["url"])
	}
	if k3, _, _ := runfile.Read(data); k3.PID != k.PID {
		t.Fatalf("a second Konsole was started: pid %d, was %d", k3.PID, k.PID)
	}
	r2.stdin.Close()
	if code := r2.wait(t); code != 0 {
		t.Fatalf("second exit %d", code)
	}
}

func TestOverSSHSaysWhyTheKonsoleDidNotStart(t *testing.T) {
	adoptOrphans(t)
	home := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// A log grown past its bound moves aside at the next start.
	data := filepath.Join(home, ".local", "share", "konui", "konsole")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "konsole.log"), bytes.Repeat([]byte("old output\n"), konsoleLogMax/10), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startOverSSH(t, home, "--listen", busy.Addr().String())
	t.Log(r.line["error"])
	if st, err := os.Stat(filepath.Join(data, "konsole.log.1")); err != nil || st.Size() <= konsoleLogMax {
		t.Fatalf("the big log was not moved aside: %v", err)
	}
	if st, _ := os.Stat(filepath.Join(data, "konsole.log")); st == nil || st.Size() > 4096 {
		t.Fatal("konsole.log was not started afresh")
	}
	if r.line["code"] != "konsole_failed" || !strings.Contains(r.line["error"], "address already in use") || !strings.Contains(r.line["error"], "konsole.log") {
		t.Fatalf("answer %v", r.line)
	}
	if code := r.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if _, ok, _ := runfile.Read(data); ok {
		t.Fatal("a Konsole runs although it failed to start")
	}
}

func TestOverSSHStartsAKonsoleWhenTheOneRunningEndsAsItWaits(t *testing.T) {
	adoptOrphans(t)
	konuiBinary(t) // built before the clock below starts
	home := t.TempDir()
	data := filepath.Join(home, ".local", "share", "konui", "konsole")
	t.Cleanup(func() { konsoletest.StopKonsoleOf(data) })
	// The run file names a process that holds the data folder's lock but
	// does not answer (a Konsole stopped, or one killed as this connection
	// came).
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	stuck := exec.Command("sh", "-c", `exec 9>"$1" && flock -x 9 && exec sleep 60`, "sh", runfile.LockPath(data))
	if err := stuck.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stuck.Process.Kill(); stuck.Wait() })
	for held, _ := runfile.Held(data); !held; held, _ = runfile.Held(data) {
		time.Sleep(10 * time.Millisecond) // until the shell has taken the lock
	}
	if err := runfile.Write(data, runfile.Info{PID: stuck.Process.Pid, URL: "http://127.0.0.1:1", TokenFile: filepath.Join(home, "none")}); err != nil {
		t.Fatal(err)
	}
	// It ends while --over-ssh waits for it, and stays a zombie (reaped
	// only at cleanup): gone all the same.
	time.AfterFunc(time.Second, func() { stuck.Process.Signal(syscall.SIGKILL) })
	start := time.Now()
	r := startOverSSH(t, home)
	if !strings.HasPrefix(r.line["url"], "http://127.0.0.1:") || r.line["token"] == "" {
		t.Fatalf("answer %v", r.line)
	}
	if took := time.Since(start); took > overSSHHealthWait {
		t.Fatalf("it answered after %v, the whole wait for the ended one", took)
	}
	k, ok, _ := runfile.Read(data)
	if !ok || k.PID == stuck.Process.Pid || k.URL != r.line["url"] {
		t.Fatalf("run file %+v, answer %v", k, r.line)
	}
	r.stdin.Close()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, r.stderr)
	}
}

// A crash leaves run.json behind; by the next connection its pid may be
// another process's. --status and --over-ssh go by the data folder's lock:
// no Konsole runs, so --over-ssh starts one at once instead of answering
// konsole_unhealthy for the process that happens to have that pid.
func TestOverSSHStartsAKonsoleWhenTheRunFileNamesAnUnrelatedLiveProcess(t *testing.T) {
	adoptOrphans(t)
	konuiBinary(t) // built before the clock below starts
	home := t.TempDir()
	data := filepath.Join(home, ".local", "share", "konui", "konsole")
	t.Cleanup(func() { konsoletest.StopKonsoleOf(data) })
	other := exec.Command("sleep", "60")
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Process.Kill(); other.Wait() })
	if err := runfile.Write(data, runfile.Info{PID: other.Process.Pid, URL: "http://127.0.0.1:1", TokenFile: filepath.Join(home, "none")}); err != nil {
		t.Fatal(err)
	}
	if r, code := statusJSON(t, testEnv(home), data); code != 3 || r.Running {
		t.Fatalf("--status with a stale run file: exit %d, %+v", code, r)
	}
	start := time.Now()
	r := startOverSSH(t, home)
	if !strings.HasPrefix(r.line["url"], "http://127.0.0.1:") || r.line["token"] == "" {
		t.Fatalf("answer %v", r.line)
	}
	if took := time.Since(start); took > overSSHHealthWait {
		t.Fatalf("it answered after %v: it waited for the unrelated process first", took)
	}
	k, ok, _ := runfile.Read(data)
	if !ok || k.PID == other.Process.Pid || k.URL != r.line["url"] {
		t.Fatalf("run file %+v, answer %v", k, r.line)
	}
	r.stdin.Close()
	if code := r.wait(t); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, r.stderr)
	}
}
