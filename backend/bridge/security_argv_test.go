package bridge_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/cli"
)

// TestTokenFlagsAreRefused: a token on the command line is readable by
// every local user (issue 13, 1), so every flag that used to take one is
// refused with the way to pass it instead, before anything starts.
func TestTokenFlagsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		instead string
	}{
		{[]string{"konsole", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--token", "secret-in-argv"}, "--token-file FILE or $KONSOLE_TOKEN"},
		{[]string{"serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--token", "secret-in-argv"}, "--token-file FILE or $KONUI_TOKEN"},
		{[]string{"serve", "--listen", "127.0.0.1:0", "--konsole", "http://127.0.0.1:1", "--konsole-token", "secret-in-argv"}, "--konsole-token-file FILE or $KONSOLE_TOKEN"},
	} {
		var out, errb bytes.Buffer
		code := cli.Main(tc.args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "is refused") || !strings.Contains(errb.String(), tc.instead) {
			t.Errorf("konui %v: code %d, stderr %q", tc.args, code, errb.String())
		}
		if out.Len() > 0 {
			t.Errorf("konui %v started: %q", tc.args, out.String())
		}
	}
}

// TestAnotherUserFindsNoTokenInTheProcessList runs "konui konsole" and
// "konui serve" with their tokens from a file and the environment, and a
// reader as another uid (nobody) that looks for them in /proc/<pid>/cmdline
// (readable by everyone) and /proc/<pid>/environ (which it must not read).
func TestAnotherUserFindsNoTokenInTheProcessList(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the reader as another uid (setpriv --reuid=65534); run the tests as root to check this")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("setpriv (util-linux) is not installed")
	}
	bin := buildKonui(t)
	dir := t.TempDir()
	konsoleToken, serveToken := "konsole-secret-"+strconv.Itoa(os.Getpid()), "serve-secret-"+strconv.Itoa(os.Getpid())
	tokenFile := filepath.Join(dir, "serve-token")
	if err := os.WriteFile(tokenFile, []byte(serveToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "cfg")}
	start := func(health string, args []string, extra ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(append([]string{}, env...), extra...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
		deadline := time.Now().Add(20 * time.Second)
		for {
			resp, err := http.Get(health)
			if err == nil {
				resp.Body.Close()
				return cmd
			}
			if time.Now().After(deadline) {
				t.Fatalf("konui %v did not start", args)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	kAddr, sAddr := freeAddr(t), freeAddr(t)
	k := start("http://"+kAddr+"/healthz", []string{"konsole", "--listen", kAddr, "--data", filepath.Join(dir, "data"), "--claude", "/bin/false"},
		"KONSOLE_TOKEN="+konsoleToken)
	s := start("http://"+sAddr+"/", []string{"serve", "--listen", sAddr, "--konsole", "http://" + kAddr, "--token-file", tokenFile},
		"KONSOLE_TOKEN="+konsoleToken)
	read := func(path string) (string, error) {
		out, err := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", path).CombinedOutput()
		return string(out), err
	}
	for name, cmd := range map[string]*exec.Cmd{"konsole": k, "serve": s} {
		pid := strconv.Itoa(cmd.Process.Pid)
		line, err := read("/proc/" + pid + "/cmdline")
		if err != nil || !strings.Contains(line, name) {
			t.Fatalf("nobody could not read the %s command line (%v): %q", name, err, line)
		}
		for _, tok := range []string{konsoleToken, serveToken} {
			if strings.Contains(line, tok) {
				t.Errorf("the %s command line holds a token: %q", name, line)
			}
		}
		environ, err := read("/proc/" + pid + "/environ")
		if err == nil || strings.Contains(environ, konsoleToken) {
			t.Errorf("nobody read the %s environment (%v): %q", name, err, environ)
		}
	}
	if _, err := read(tokenFile); err == nil {
		t.Errorf("nobody read the token file %s", tokenFile)
	}
}
