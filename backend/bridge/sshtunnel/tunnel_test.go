//go:build linux

package sshtunnel_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/sshtunnel"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// get calls the Konsole's API with its token and decodes the answer.
func get(t *testing.T, url, token, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func newTunnel(t *testing.T, target string, o sshtunnel.Options) *sshtunnel.Tunnel {
	t.Helper()
	tg, err := sshtunnel.ParseURL(target)
	if err != nil {
		t.Fatal(err)
	}
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	tun := sshtunnel.New(tg, o)
	t.Cleanup(tun.Close)
	return tun
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still there", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEndpointStartsARemoteKonsoleThatOutlivesTheConnectionAndKeepsTheLocalPort(t *testing.T) {
	r := startRemote(t, "")
	t.Setenv("KONUI_SSH_COMMAND", "ssh -F "+r.sshd.config())
	logs := &kt.SyncBuffer{}
	tun := newTunnel(t, r.url(), r.options(sshtunnel.Options{Logger: slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), &slog.HandlerOptions{Level: slog.LevelDebug}))}))
	ctx := ctxFor(t, 60*time.Second)

	url, token, err := tun.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("url %q, want the local end of the forward", url)
	}
	if status, m := get(t, url, token, "/v1/sessions"); status != 200 {
		t.Fatalf("GET /v1/sessions through the tunnel: %d %v", status, m)
	}
	k, ok := r.konsole()
	if !ok {
		t.Fatal("no Konsole runs on the remote data dir")
	}
	// It took the default address there: $KONUI_KONSOLE_LISTEN's (a free
	// port, so that other tests' Konsoles on 7421 stay apart).
	if want := "http://127.0.0.1:" + strconv.Itoa(r.port); k.URL != want {
		t.Fatalf("the remote Konsole is at %s, want %s", k.URL, want)
	}
	if sid := sessionOf(t, k.PID); sid != k.PID {
		t.Fatalf("the remote Konsole (pid %d) is in session %d, not one of its own", k.PID, sid)
	}
	if _, err := os.Stat(r.dataDir + "/konsole.log"); err != nil {
		t.Fatalf("the remote Konsole's log: %v", err)
	}
	ssh := tun.SSHPid()
	// No process here (ssh, the remote shell, --over-ssh, the Konsole it
	// started) has the token in its argument list, and no log line has it.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), token) {
			t.Fatalf("%s holds the token: %q", p, b)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Fatal("the tunnel's log holds the token")
	}

	// A running tunnel is used as it is.
	if u2, _, err := tun.Endpoint(ctx); err != nil || u2 != url || tun.SSHPid() != ssh {
		t.Fatalf("second Endpoint: %q %v, ssh %d -> %d", u2, err, ssh, tun.SSHPid())
	}

	// The connection drops: the next Endpoint connects again, on the same
	// local port, to the same Konsole, which kept running.
	syscall.Kill(ssh, syscall.SIGKILL)
	waitGone(t, ssh)
	u3, t3, err := tun.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u3 != url || t3 != token {
		t.Fatalf("after the drop: %q, want %q (and the same token)", u3, url)
	}
	if tun.SSHPid() == ssh || tun.SSHPid() == 0 {
		t.Fatalf("ssh was not started again (pid %d)", tun.SSHPid())
	}
	if k2, ok := r.konsole(); !ok || k2.PID != k.PID {
		t.Fatalf("the remote Konsole changed: %+v -> %+v", k, k2)
	}
	if status, _ := get(t, u3, t3, "/v1/sessions"); status != 200 {
		t.Fatalf("through the new tunnel: %d", status)
	}

	// Close ends ssh and leaves the Konsole running.
	last := tun.SSHPid()
	tun.Close()
	waitGone(t, last)
	if _, _, err := tun.Endpoint(ctx); !errors.Is(err, sshtunnel.ErrClosed) {
		t.Fatalf("Endpoint after Close: %v", err)
	}
	if _, ok := r.konsole(); !ok {
		t.Fatal("the remote Konsole ended with the tunnel")
	}
}

func TestEndpointSaysWhatIsWrongInSSHsOwnWords(t *testing.T) {
	r := startRemote(t, t.TempDir()) // a PATH without konui
	other := t.TempDir() + "/other_key"
	keygen(t, other)
	pub, err := os.ReadFile(other + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	otherPub := string(pub) // another machine's key where this one's should be
	cases := []struct {
		name, target, config, code string
		says                       []string
	}{
		{"konui missing", "ssh://konui-test", r.sshd.config(), sshtunnel.CodeNotInstalled,
			[]string{"konui is not installed on konui-test (ssh said: ", "konui: command not found", "install it there"}},
		{"konui not at its path", "ssh://konui-test?konui=/opt/nothing/konui", r.sshd.config(), sshtunnel.CodeNotInstalled,
			[]string{"konui is not installed on konui-test", "/opt/nothing/konui: No such file or directory"}},
		{"unknown host key", r.url(), r.sshd.clientConfig("unknown", "", r.sshd.userKey), sshtunnel.CodeHostKey,
			[]string{"the host key of konui-test is not known", "Host key verification failed"}},
		{"changed host key", r.url(), r.sshd.clientConfig("changed", "[127.0.0.1]:"+strconv.Itoa(r.sshd.port)+" "+otherPub, r.sshd.userKey),
			sshtunnel.CodeHostKey, []string{"the host key of konui-test has changed", "Host key verification failed"}},
		{"key refused", r.url(), r.sshd.clientConfig("refused", r.sshd.knownHosts(), other), sshtunnel.CodeRefused,
			[]string{"konui-test refused the SSH login (ssh said: ", "Permission denied (publickey)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tun := newTunnel(t, c.target, sshtunnel.Options{SSH: []string{"ssh", "-F", c.config}})
			_, _, err := tun.Endpoint(ctxFor(t, 30*time.Second))
			var e *sshtunnel.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *sshtunnel.Error", err, err)
			}
			t.Logf("%s: %s", e.Code, e.Message)
			if e.Code != c.code {
				t.Errorf("code %q, want %q (%s)", e.Code, c.code, e.Message)
			}
			for _, s := range c.says {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not say %q", e.Message, s)
				}
			}
			if strings.Contains(e.Message, "@@@") {
				t.Errorf("message %q quotes ssh's banner", e.Message)
			}
		})
	}
	if _, ok := r.konsole(); ok {
		t.Fatal("a Konsole was started although every connection failed")
	}
}

func TestEndpointStartsTheRemoteKonsoleAgainWhenItDied(t *testing.T) {
	r := startRemote(t, "")
	tun := newTunnel(t, r.url(), r.options(sshtunnel.Options{SSH: []string{"ssh", "-F", r.sshd.config()}}))
	ctx := ctxFor(t, 60*time.Second)
	url, token, err := tun.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := r.konsole()
	ssh := tun.SSHPid()
	// kill -9 leaves its run file behind. Its parent, the first --over-ssh,
	// reaps it, or this test process does (the subreaper of TestMain, as
	// init on a real machine) once that one is gone; until then it is a
	// zombie, which the remote side must not take for a running Konsole.
	syscall.Kill(k.PID, syscall.SIGKILL)
	var ws syscall.WaitStatus
	syscall.Wait4(k.PID, &ws, syscall.WNOHANG, nil)

	// ssh still runs, but its forward reaches nothing: Endpoint notices,
	// connects again, and the remote side starts a new Konsole.
	u2, t2, err := tun.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k2, ok := r.konsole()
	if !ok || k2.PID == k.PID {
		t.Fatalf("no new Konsole: %+v (was pid %d)", k2, k.PID)
	}
	if u2 != url || t2 != token || tun.SSHPid() == ssh {
		t.Fatalf("after the Konsole's restart: %q (was %q), same token %v, ssh %d (was %d)", u2, url, t2 == token, tun.SSHPid(), ssh)
	}
	if status, _ := get(t, u2, t2, "/v1/sessions"); status != 200 {
		t.Fatalf("the new Konsole through the tunnel: %d", status)
	}
}

func TestTheForwardFollowsARemoteKonsoleOffTheDefaultPort(t *testing.T) {
	// Something else holds the default port there (here: this test), so
	// the remote side starts its Konsole on a free one.
	r := startRemote(t, "")
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(r.port))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	tun := newTunnel(t, r.url(), r.options(sshtunnel.Options{SSH: []string{"ssh", "-F", r.sshd.config()}}))
	url, token, err := tun.Endpoint(ctxFor(t, 60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	k, ok := r.konsole()
	if !ok || strings.HasSuffix(k.URL, ":"+strconv.Itoa(r.port)) {
		t.Fatalf("the remote Konsole is at %q", k.URL)
	}
	if status, _ := get(t, url, token, "/v1/sessions"); status != 200 {
		t.Fatalf("the Konsole at %s through the forward: %d", k.URL, status)
	}
}

func TestConcurrentCallsShareOneConnectionAndTwoTunnelsStartOneKonsole(t *testing.T) {
	r := startRemote(t, "")
	conf := r.sshd.config()
	tunnels := []*sshtunnel.Tunnel{
		newTunnel(t, r.url(), r.options(sshtunnel.Options{SSH: []string{"ssh", "-F", conf}})),
		newTunnel(t, r.url(), r.options(sshtunnel.Options{SSH: []string{"ssh", "-F", conf}})),
	}
	ctx := ctxFor(t, 60*time.Second)
	type result struct {
		tunnel     int
		url, token string
		err        error
	}
	results := make(chan result, 6)
	for i, tun := range tunnels {
		for range 3 {
			go func() {
				u, tok, err := tun.Endpoint(ctx)
				results <- result{i, u, tok, err}
			}()
		}
	}
	urls := map[int]map[string]bool{0: {}, 1: {}}
	tokens := map[string]bool{}
	for range 6 {
		res := <-results
		if res.err != nil {
			t.Fatal(res.err)
		}
		urls[res.tunnel][res.url] = true
		tokens[res.token] = true
	}
	if len(urls[0]) != 1 || len(urls[1]) != 1 || len(tokens) != 1 {
		t.Fatalf("urls %v, %d tokens: want one per tunnel and one token", urls, len(tokens))
	}
	if logins := strings.Count(r.sshd.log.String(), "Accepted publickey"); logins != 2 {
		t.Fatalf("%d SSH logins for two tunnels", logins)
	}
	k, ok := r.konsole()
	if !ok {
		t.Fatal("no Konsole runs there")
	}
	log, _ := os.ReadFile(r.dataDir + "/konsole.log")
	if starts := strings.Count(string(log), "starts a Konsole"); starts != 1 {
		t.Fatalf("%d Konsoles were started (run file: pid %d)", starts, k.PID)
	}
}

// An ssh that never answers (a host that drops packets): the caller's
// deadline ends the wait with a sentence a person can act on, not Go's
// "context deadline exceeded".
func TestAnSSHThatHangsTimesOutWithASentence(t *testing.T) {
	tun := newTunnel(t, "ssh://me@devbox", sshtunnel.Options{SSH: []string{"sh", "-c", "sleep 30", "fake-ssh"}})
	start := time.Now()
	_, _, err := tun.Endpoint(ctxFor(t, time.Second))
	var e *sshtunnel.Error
	if !errors.As(err, &e) || e.Code != sshtunnel.CodeTimeout {
		t.Fatalf("error %v (%T), want a %s *sshtunnel.Error", err, err, sshtunnel.CodeTimeout)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Endpoint returned after %v, past its deadline", took)
	}
	if !strings.Contains(e.Message, "failed to reach me@devbox over ssh: no answer in time") || strings.Contains(e.Message, "context") {
		t.Fatalf("message %q", e.Message)
	}
}
