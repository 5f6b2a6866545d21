package konsole_test

import (
	"bytes"
	"encoding/json"
	"fmt"
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

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// agentKonsole is "konui konsole" as its own process, started the way a
// user starts it (the token in $KONSOLE_TOKEN), as an unprivileged user:
// nobody when the tests run as root, else the tests' own user.
type agentKonsole struct {
	t          *testing.T
	url, token string
	home, work string
	cmd        *exec.Cmd
}

func startAgentKonsole(t *testing.T) *agentKonsole {
	t.Helper()
	root, err := os.MkdirTemp("", "konui-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "konui")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/konui/konui").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	k := &agentKonsole{t: t, token: "agent-probe-" + fmt.Sprint(time.Now().UnixNano()), home: filepath.Join(root, "home")}
	k.work = filepath.Join(k.home, "work")
	data := filepath.Join(root, "data")
	for _, d := range []string{k.work, data} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	args := []string{bin, "konsole", "--listen", addr, "--data", data, "--claude", kt.ClaudePath(t), "--log-level", "warn"}
	if os.Geteuid() == 0 {
		if err := filepath.Walk(root, func(p string, _ os.FileInfo, _ error) error { return os.Lchown(p, 65534, 65534) }); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"}, args...)
	}
	k.cmd = exec.Command(args[0], args[1:]...)
	k.cmd.Env = append(kt.AgentEnv(k.home, fake.URL), "KONSOLE_TOKEN="+k.token, "XDG_CONFIG_HOME="+filepath.Join(k.home, ".config"))
	k.cmd.Stderr = os.Stderr
	if err := k.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.cmd.Process.Signal(syscall.SIGTERM); k.cmd.Wait() })
	k.url = "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(k.url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("konui konsole did not start")
		}
	}
	return k
}

func (k *agentKonsole) do(method, path string, body any) (int, map[string]any) {
	k.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, k.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+k.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// events follows the stream, keeping every byte it sent in raw.
func (k *agentKonsole) events(raw *bytes.Buffer) chan kt.Event {
	req, _ := http.NewRequest("GET", k.url+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+k.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		k.t.Fatalf("events: %v %v", err, resp)
	}
	k.t.Cleanup(func() { resp.Body.Close() })
	c := make(chan kt.Event, 10000)
	go func() {
		kt.ReadSSE(io.TeeReader(resp.Body, raw), c)
		close(c)
	}()
	return c
}

func until(t *testing.T, c chan kt.Event, what string, match func(kt.Event) bool) kt.Event {
	t.Helper()
	deadline := time.After(60 * time.Second)
	var seen []string
	for {
		select {
		case e, ok := <-c:
			if !ok {
				t.Fatalf("the stream ended waiting for %s", what)
			}
			if match(e) {
				return e
			}
			seen = append(seen, e.Type+" "+string(e.Data[:min(len(e.Data), 200)]))
		case <-deadline:
			t.Fatalf("timed out waiting for %s; saw %v", what, seen)
		}
	}
}

// walkParents prints, for the shell and each of its ancestors, the command
// line and the environment variables named like tokens. It holds no ']',
// which would end the fake API's [[bash: ...]].
const walkParents = `p=$$; for i in 1 2 3 4 5 6; do echo "== pid $p"; tr '\0' ' ' < /proc/$p/cmdline; echo; cat /proc/$p/environ 2>&1 | tr '\0' '\n' | grep -ai "token\\|denied"; p=$(sed 's/.*) //' /proc/$p/stat | cut -d' ' -f2); test "$p" -le 1 && break; done; echo walk-done`

// TestTheAgentGetsNoTokenFromItsParents is the probe of issue 13, 4: an
// approved Bash call of the real CLI reads /proc/$PPID/environ and cmdline
// up the process tree, through Konsole, which runs as the same user. It
// finds no Konsole token (Konsole is non-dumpable, and nothing secret is in
// argv). When the agent does get hold of the token (here: from a file it
// may read), Konsole notices it in the tool output and refuses permission
// answers made with that token.
func TestTheAgentGetsNoTokenFromItsParents(t *testing.T) {
	k := startAgentKonsole(t)
	var raw bytes.Buffer
	evs := k.events(&raw)
	status, s := k.do("POST", "/v1/sessions", map[string]any{"cwd": k.work})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	sid := s["id"].(string)
	promptIn := func(sid, text string) string {
		status, r := k.do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": text})
		if status != http.StatusAccepted {
			t.Fatalf("prompt: %d %v", status, r)
		}
		return r["turnId"].(string)
	}
	prompt := func(text string) string { return promptIn(sid, text) }
	// run waits for the turn's end, allowing what it asks on the way (the
	// CLI asks for some commands only), and returns its streamed text.
	run := func(turn string) string {
		var text strings.Builder
		until(t, evs, "the turn's end", func(e kt.Event) bool {
			switch {
			case e.Type == contract.EvTextDelta && e.TurnID == turn:
				text.WriteString(e.DataMap()["text"].(string))
			case e.Type == contract.EvPermissionRequest && e.SessionID == sid:
				if status, r := k.do("POST", "/v1/sessions/"+sid+"/permissions/"+e.DataMap()["requestId"].(string), map[string]any{"behavior": "allow"}); status != http.StatusOK {
					t.Fatalf("allow: %d %v", status, r)
				}
			}
			return e.Type == contract.EvTurnCompleted && e.TurnID == turn
		})
		return text.String()
	}

	out := run(prompt("[[bash: " + walkParents + "]]"))
	if !strings.Contains(out, "walk-done") || !strings.Contains(out, "konsole --listen") {
		t.Fatalf("the walk did not reach Konsole: %q", out)
	}
	if strings.Contains(raw.String(), k.token) {
		t.Fatalf("the agent read Konsole's token from its parents: %q", out)
	}
	t.Logf("what the agent saw: %s", out)

	// A second session asks for a permission before the token leaks: the
	// agent would answer it itself with the token it is about to read.
	status, s2 := k.do("POST", "/v1/sessions", map[string]any{"cwd": k.work})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s2)
	}
	sid2 := s2["id"].(string)
	promptIn(sid2, "[[bash: touch approved-by-nobody]]")
	pending := until(t, evs, "a permission request", func(e kt.Event) bool {
		return e.Type == contract.EvPermissionRequest && e.SessionID == sid2
	})
	req := pending.DataMap()["requestId"].(string)

	// The agent reads a file that holds the token (as the stored token file
	// would), which Konsole cannot prevent: it sees it and refuses the token
	// for every change from then on.
	file := filepath.Join(k.work, "token-copy")
	if err := os.WriteFile(file, []byte(k.token), 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Lchown(file, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if out := run(prompt("[[bash: cat " + file + "]]")); !strings.Contains(out, k.token) {
		t.Fatalf("the agent did not read the file: %q", out)
	}
	status, r := k.do("POST", "/v1/sessions/"+sid2+"/permissions/"+req, map[string]any{"behavior": "allow"})
	if status != http.StatusForbidden || r["code"] != konsole.CodeTokenExposed {
		t.Fatalf("an answer with the exposed token: %d %v", status, r)
	}
	// Issue 25: the same token switched the session to acceptEdits, started
	// one in bypassPermissions (where a prompt ran a command with no
	// request) and turned auto-deny off. Every change is refused now.
	for _, c := range []struct {
		method, path string
		body         map[string]any
	}{
		{"PATCH", "/v1/sessions/" + sid, map[string]any{"permissionMode": "acceptEdits"}},
		{"POST", "/v1/sessions", map[string]any{"cwd": k.work, "permissionMode": "bypassPermissions"}},
		{"PUT", "/v1/settings/auto-deny", map[string]any{"enabled": false}},
		{"POST", "/v1/sessions/" + sid + "/prompt", map[string]any{"text": "[[bash: id]]"}},
	} {
		if status, r := k.do(c.method, c.path, c.body); status != http.StatusForbidden || r["code"] != konsole.CodeTokenExposed {
			t.Errorf("%s %s with the exposed token: %d %v", c.method, c.path, status, r)
		}
	}
	if status, r := k.do("GET", "/v1/sessions/"+sid, nil); status != http.StatusOK || r["permissionMode"] == "acceptEdits" {
		t.Fatalf("the session after the refusals: %d %v", status, r)
	}
}
