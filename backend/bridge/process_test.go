package bridge_test

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// konsoleProcess is "konui konsole" running as its own process, so that a
// test can kill -9 it.
type konsoleProcess struct {
	t                      *testing.T
	bin, addr, token, data string
	env                    []string
	cmd                    *exec.Cmd
}

func buildKonui(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "konui")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/konui/konui")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (k *konsoleProcess) start() {
	k.t.Helper()
	k.cmd = exec.Command(k.bin, "konsole", "--listen", k.addr, "--data", k.data,
		"--claude", kt.ClaudePath(k.t), "--log-level", "warn")
	k.cmd.Env = append(slices.Clip(k.env), "KONSOLE_TOKEN="+k.token)
	k.cmd.Stderr = os.Stderr
	if err := k.cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + k.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("konsole did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (k *konsoleProcess) kill9() {
	k.cmd.Process.Signal(syscall.SIGKILL)
	k.cmd.Wait()
}

// stop ends Konsole the way a user does (SIGTERM): it ends its agents and
// waits for them, so that none writes into the test's folders afterwards.
func (k *konsoleProcess) stop() {
	k.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { k.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		k.cmd.Process.Kill()
		<-done
	}
}

func (k *konsoleProcess) api(method, path, body string) map[string]any {
	k.t.Helper()
	req, _ := http.NewRequest(method, "http://"+k.addr+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+k.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		k.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return m
}

// logIDs reads Konsole's whole stored log, up to upto.
func (k *konsoleProcess) logIDs(upto int64) []int64 {
	k.t.Helper()
	return kt.EventIDs(k.t, "http://"+k.addr, k.token, 0, upto)
}

func TestKill9OfKonsoleMidTurnThenRestartLosesAndRepeatsNothing(t *testing.T) {
	home := t.TempDir()
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	k := &konsoleProcess{t: t, bin: buildKonui(t), addr: freeAddr(t), token: "kill9-token", data: t.TempDir(),
		env: append(kt.AgentEnv(home, fake.URL), "XDG_CONFIG_HOME="+home)}
	if err := os.MkdirAll(filepath.Join(home, "work"), 0o755); err != nil {
		t.Fatal(err)
	}
	k.start()
	defer k.stop()

	h := startBridge(t, "http://"+k.addr, k.token, nil)
	h.waitConnected()
	c := h.connect("clientId=watcher")
	sess := k.api("POST", "/v1/sessions", `{"cwd":"`+filepath.Join(home, "work")+`"}`)
	sid := sess["id"].(string)
	if a := c.request("prompt", map[string]any{"sessionId": sid, "text": "[[long 400]]"}); !a.OK {
		t.Fatalf("prompt: %s", a.Error)
	}
	var frames []frame
	n := 0
	frames = append(frames, c.until(30*time.Second, func(f frame) bool {
		if f.Type == "event" && f.ev().Type == "text.delta" {
			n++
		}
		return n == 20
	})...)

	orphan := int(k.api("GET", "/v1/sessions/"+sid, "")["agentPid"].(float64))
	k.kill9()
	killOrphan(orphan)
	frames = append(frames, c.until(10*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == "reconnecting" })...)
	k.start()
	frames = append(frames, c.until(20*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == "connected" })...)

	a := c.request("prompt", map[string]any{"sessionId": sid, "text": "after the crash"})
	if !a.OK {
		t.Fatalf("prompt after restart: %s", a.Error)
	}
	var r struct{ TurnID string }
	if err := json.Unmarshal(a.Result, &r); err != nil {
		t.Fatal(err)
	}
	frames = append(frames, c.until(60*time.Second, turnDone(r.TurnID))...)

	var got []int64
	seen := map[int64]int{}
	var interrupted bool
	for _, f := range frames {
		if f.Type != "event" {
			continue
		}
		e := f.ev()
		got = append(got, e.ID)
		seen[e.ID]++
		if e.Type == "turn.completed" && strings.Contains(string(e.Data), "Konsole stopped while this turn was running") {
			interrupted = true
		}
	}
	want := k.logIDs(got[len(got)-1])
	lost, dup := 0, 0
	for _, id := range want {
		if seen[id] == 0 {
			lost++
		}
	}
	for _, n := range seen {
		if n > 1 {
			dup += n - 1
		}
	}
	t.Logf("konsole log: %d events; client saw %d; lost %d, duplicated %d\nlog %v\ngot %v", len(want), len(got), lost, dup, want, got)
	if lost != 0 || dup != 0 || len(got) != len(want) {
		t.Fatalf("lost %d, duplicated %d (log %d, client %d)", lost, dup, len(want), len(got))
	}
	if !interrupted {
		t.Fatal("the turn cut by the crash was not reported as ended")
	}
	if tr := fake.Requests()[len(fake.Requests())-1].Transcript(); !strings.Contains(tr, "[[long 400]]") {
		t.Fatalf("the session did not resume after the restart: %q", tr)
	}
}

func TestKonuiServeRunsALocalKonsoleAndServesTheDashboard(t *testing.T) {
	home := t.TempDir()
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	work := filepath.Join(home, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(buildKonui(t), "serve", "--listen", addr, "--data", t.TempDir(), "--claude", kt.ClaudePath(t), "--log-level", "warn")
	cmd.Env = append(kt.AgentEnv(home, fake.URL), "XDG_CONFIG_HOME="+home)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	buf := make([]byte, 4096)
	var printed string
	for !strings.Contains(printed, "#token=") {
		n, err := out.Read(buf)
		if err != nil {
			t.Fatalf("konui serve printed %q then %v", printed, err)
		}
		printed += string(buf[:n])
	}
	token := strings.TrimSpace(printed[strings.Index(printed, "#token=")+7:])
	if !strings.Contains(printed, "http://"+addr+"/#token=") {
		t.Fatalf("printed %q", printed)
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("dashboard: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	h := &bridgeHarness{t: t, token: token, wsBase: "ws://" + addr}
	c := h.connect("clientId=serve")
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/sessions", strings.NewReader(`{"cwd":"`+work+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("create session: %v", err)
	}
	var s struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	a := c.request("prompt", map[string]any{"sessionId": s.ID, "text": "hello serve"})
	var r struct{ TurnID string }
	if err := json.Unmarshal(a.Result, &r); err != nil {
		t.Fatal(err)
	}
	fs := c.until(60*time.Second, turnDone(r.TurnID))
	if fs[len(fs)-1].ev().text() != "completed" {
		t.Fatalf("turn: %s", fs[len(fs)-1].raw)
	}
}
