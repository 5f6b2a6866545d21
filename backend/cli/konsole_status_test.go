package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runKonui runs the built konui with args and env and returns its stdout,
// stderr and exit code.
func runKonui(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(konuiBinary(t), args...)
	cmd.Env = env
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

func statusJSON(t *testing.T, env []string, data string) (konsoleStatusReport, int) {
	t.Helper()
	out, errb, code := runKonui(t, env, "konsole", "--status", "--json", "--data", data)
	var r konsoleStatusReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("--status --json printed %q (stderr %q): %v", out, errb, err)
	}
	return r, code
}

func TestStatusTellsARunningKonsoleFromAStoppedOne(t *testing.T) {
	home := t.TempDir()
	env := testEnv(home)
	p := startKonsole(t, home, nil, "--listen", "0.0.0.0:0", "--advertise", "127.0.0.1")
	version := strings.TrimSpace(mustRead(t, "../../VERSION"))

	r, code := statusJSON(t, env, p.data)
	if code != 0 || !r.Running || !r.Answering || r.PID != p.cmd.Process.Pid || r.Version != version ||
		!strings.HasPrefix(r.URL, "https://127.0.0.1:") || r.Listen != "0.0.0.0:"+strings.TrimPrefix(r.URL, "https://127.0.0.1:") || r.LatencyMs == nil || r.StartedAt == nil || r.Fingerprint == "" || r.PairingURL == "" {
		t.Fatalf("running: exit %d, %+v", code, r)
	}
	out, _, code := runKonui(t, env, "konsole", "--status", "--data", p.data)
	for _, want := range []string{"A Konsole is running", "version " + version, r.URL, "/healthz answered", "konui konsole --pairing"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("--status (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	p.stop(t)

	r, code = statusJSON(t, env, p.data)
	if code != 3 || r.Running || r.Answering || r.Error != "" {
		t.Fatalf("stopped: exit %d, %+v", code, r)
	}
	out, _, code = runKonui(t, env, "konsole", "--status", "--data", p.data)
	if code != 3 || !strings.Contains(out, "No Konsole is running with the data folder "+p.data) {
		t.Fatalf("--status of a stopped Konsole (exit %d):\n%s", code, out)
	}
}

func TestStatusAfterKill9IsNotRunningAndAStoppedButAliveOneIsNotAnswering(t *testing.T) {
	home := t.TempDir()
	env := testEnv(home)
	p := startKonsole(t, home, []string{"KONSOLE_TOKEN=k9"}, "--listen", "127.0.0.1:0")

	// SIGSTOP: the process lives, holds its run file and answers nothing.
	p.cmd.Process.Signal(sigStop)
	start := time.Now()
	r, code := statusJSON(t, env, p.data)
	p.cmd.Process.Signal(sigCont)
	if code != 1 || !r.Running || r.Answering || !strings.Contains(r.Error, "does not answer") || !strings.Contains(r.Error, "no answer within 5 s") || strings.Contains(r.Error, "context deadline") {
		t.Fatalf("a stopped process: exit %d, %+v", code, r)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("--status took %v on a Konsole that does not answer", time.Since(start))
	}

	p.cmd.Process.Kill()
	p.cmd.Wait()
	p.cmd = nil
	if _, err := os.Stat(p.data + "/run.json"); err != nil {
		t.Fatalf("kill -9 should leave the run file: %v", err)
	}
	r, code = statusJSON(t, env, p.data)
	if code != 3 || r.Running {
		t.Fatalf("after kill -9: exit %d, %+v", code, r)
	}
}

func TestJSONGoesWithStatusOnly(t *testing.T) {
	var out, errb strings.Builder
	if code := Main([]string{"konsole", "--json"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--json goes with --status") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

func TestTheActionsOfKonsoleGoOneAtATime(t *testing.T) {
	for _, args := range [][]string{{"--status", "--pairing"}, {"--install-service", "--uninstall-service"}, {"--pairing", "--install-service"}} {
		var out, errb strings.Builder
		code := Main(append([]string{"konsole"}, args...), &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "give one of --status, --pairing, --install-service and --uninstall-service at a time") || out.Len() != 0 {
			t.Errorf("%v: code %d stdout %q stderr %q", args, code, out.String(), errb.String())
		}
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
