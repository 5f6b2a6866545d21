//go:build linux

package sshtunnel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/sshtunnel"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// frame is a bridge WebSocket frame, as much of it as these tests read.
type frame struct {
	Type      string          `json:"type"`
	Seq       int64           `json:"seq"`
	KonsoleID string          `json:"konsoleId"`
	State     string          `json:"state"`
	Ref       string          `json:"ref"`
	OK        bool            `json:"ok"`
	Err       string          `json:"error"`
	Event     json.RawMessage `json:"event"`
	Res       json.RawMessage `json:"result"`
}

type event struct {
	ID     int64           `json:"id"`
	Type   string          `json:"type"`
	TurnID string          `json:"turnId"`
	Data   json.RawMessage `json:"data"`
}

func (f frame) ev() (e event) {
	json.Unmarshal(f.Event, &e)
	return e
}

// wsClient reads every frame of one dashboard connection into frames.
type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
	ids    int
	seen   []frame // every frame read so far, in order
}

func dialBridge(t *testing.T, srv *httptest.Server, token string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/console/ws?clientId=ssh&token="+token, nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	c := &wsClient{t: t, conn: conn, frames: make(chan frame, 100000)}
	go func() {
		defer close(c.frames)
		for {
			_, data, err := conn.Read(context.Background())
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(data, &f) == nil {
				c.frames <- f
			}
		}
	}()
	t.Cleanup(func() { conn.CloseNow() })
	return c
}

// until reads frames until match, at most d.
func (c *wsClient) until(d time.Duration, what string, match func(frame) bool) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatalf("the dashboard connection ended while waiting for %s", what)
			}
			c.seen = append(c.seen, f)
			if match(f) {
				return
			}
		case <-deadline:
			c.t.Fatalf("no %s within %s (%d frames)", what, d, len(c.seen))
		}
	}
}

func (c *wsClient) request(typ string, fields map[string]any) frame {
	c.t.Helper()
	c.ids++
	id := fmt.Sprintf("r%d", c.ids)
	m := map[string]any{"id": id, "type": typ}
	for k, v := range fields {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	if err := c.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
	c.until(10*time.Second, "the ack of "+typ, func(f frame) bool { return f.Type == "ack" && f.Ref == id })
	return c.seen[len(c.seen)-1]
}

func post(t *testing.T, url, token, path, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %v", path, resp.StatusCode, m)
	}
	return m
}

// TestADroppedSSHConnectionMidStreamResumesTheEventsExactly follows a
// remote Konsole (the real CLI on the fake Messages API, started there by
// konui konsole --over-ssh) through a real bridge, kills the ssh process
// in the middle of a streaming turn, and checks that the turn's events
// reach the dashboard exactly once each, none missing, in order, once the
// bridge has started the tunnel again (Resolve) on the same local port.
func TestADroppedSSHConnectionMidStreamResumesTheEventsExactly(t *testing.T) {
	r := startRemote(t, "")
	tun := newTunnel(t, r.url(), r.options(sshtunnel.Options{SSH: []string{"ssh", "-F", r.sshd.config()}}))
	// The bridge asks the tunnel for the endpoint before every attempt.
	b, err := bridge.New(bridge.Config{Token: "bridge-token", Logger: testLogger(t),
		Backoff:  bridge.Backoff{Min: 50 * time.Millisecond, Max: 400 * time.Millisecond, Jitter: 0.1},
		Konsoles: []bridge.KonsoleSpec{{ID: "devbox", Name: "dev box", Kind: "ssh", URL: r.url(), Resolve: tun.Endpoint, Close: tun.Close}}})
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	c := dialBridge(t, srv, "bridge-token")
	c.until(5*time.Second, "hello", func(f frame) bool { return f.Type == "hello" })
	c.until(30*time.Second, "the bridge connected through the tunnel", func(f frame) bool {
		return f.Type == "konsole" && f.KonsoleID == "devbox" && f.State == bridge.StateConnected
	})
	ctx := ctxFor(t, 2*time.Minute)
	url, token, err := tun.Endpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}

	sid := post(t, srv.URL, "bridge-token", "/api/sessions", `{"cwd":"`+r.work+`","konsoleId":"devbox"}`)["id"].(string)
	a := c.request("prompt", map[string]any{"sessionId": sid, "text": "[[long 300]] over ssh"})
	if !a.OK {
		t.Fatalf("prompt: %s", a.Err)
	}
	var turn struct{ TurnID string }
	if err := json.Unmarshal(a.Res, &turn); err != nil {
		t.Fatal(err)
	}
	deltas := 0
	c.until(60*time.Second, "20 text deltas", func(f frame) bool {
		if e := f.ev(); f.Type == "event" && e.Type == "text.delta" && e.TurnID == turn.TurnID {
			deltas++
		}
		return deltas >= 20
	})

	konsole, _ := r.konsole()
	ssh := tun.SSHPid()
	syscall.Kill(ssh, syscall.SIGKILL)
	waitGone(t, ssh)
	c.until(20*time.Second, "the bridge noticing the drop", func(f frame) bool { return f.Type == "konsole" && f.State != bridge.StateConnected })
	// The bridge's next attempt starts ssh again, through Resolve.
	c.until(30*time.Second, "the bridge connected again", func(f frame) bool { return f.Type == "konsole" && f.State == bridge.StateConnected })
	if tun.SSHPid() == 0 || tun.SSHPid() == ssh {
		t.Fatalf("ssh was not started again (pid %d)", tun.SSHPid())
	}
	resumedAt := len(c.seen)
	c.until(60*time.Second, "the end of the turn", func(f frame) bool {
		e := f.ev()
		return f.Type == "event" && e.Type == "turn.completed" && e.TurnID == turn.TurnID
	})

	var got []int64
	var lastSeq int64
	deltasAfter := 0
	for i, f := range c.seen {
		if f.Type != "event" {
			continue
		}
		if lastSeq != 0 && f.Seq != lastSeq+1 {
			t.Fatalf("frame seq %d after %d", f.Seq, lastSeq)
		}
		lastSeq = f.Seq
		if f.KonsoleID != "devbox" {
			t.Fatalf("event frame without the Konsole's id: %+v", f)
		}
		e := f.ev()
		got = append(got, e.ID)
		if i >= resumedAt && e.Type == "text.delta" {
			deltasAfter++
		}
	}
	if deltasAfter == 0 {
		t.Fatal("the turn had ended before the tunnel was up again: nothing was resumed mid-stream")
	}
	want := kt.EventIDs(t, url, token, got[0]-1, got[len(got)-1])
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	lost, dup := 0, 0
	for _, id := range want {
		if seen[id] == 0 {
			lost++
		}
	}
	for _, n := range seen {
		dup += n - 1
	}
	t.Logf("the Konsole's log holds %d events from %d to %d; the dashboard got %d (%d text deltas after the reconnect); lost %d, duplicated %d",
		len(want), want[0], want[len(want)-1], len(got), deltasAfter, lost, dup)
	if lost != 0 || dup != 0 || len(got) != len(want) {
		t.Fatalf("lost %d, duplicated %d (log %d, dashboard %d)", lost, dup, len(want), len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("event %d after %d", got[i], got[i-1])
		}
	}
	if u2, _, err := tun.Endpoint(ctx); err != nil || u2 != url {
		t.Fatalf("the local port changed: %q %v, was %q", u2, err, url)
	}
	if k, ok := r.konsole(); !ok || k.PID != konsole.PID {
		t.Fatalf("the remote Konsole did not outlive the connection: %+v -> %+v", konsole, k)
	}
	last := c.seen[len(c.seen)-1].ev()
	if !strings.Contains(string(last.Data), `"completed"`) {
		t.Fatalf("the turn did not complete: %s", last.Data)
	}
}

// TestTheDashboardSaysKonuiIsNotInstalledThere follows a remote without
// konui: the bridge's state for it carries the tunnel's sentence.
func TestTheDashboardSaysKonuiIsNotInstalledThere(t *testing.T) {
	r := startRemote(t, t.TempDir()) // a PATH without konui
	tun := newTunnel(t, "ssh://konui-test", r.options(sshtunnel.Options{SSH: []string{"ssh", "-F", r.sshd.config()}}))
	b, err := bridge.New(bridge.Config{Token: "bridge-token", Logger: testLogger(t),
		Backoff:  bridge.Backoff{Min: 50 * time.Millisecond, Max: 400 * time.Millisecond, Jitter: 0.1},
		Konsoles: []bridge.KonsoleSpec{{ID: "devbox", Name: "dev box", Kind: "ssh", URL: "ssh://konui-test", Resolve: tun.Endpoint, Close: tun.Close}}})
	if err != nil {
		t.Fatal(err)
	}
	b.Start()
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(func() { b.Close(); srv.Close() })
	c := dialBridge(t, srv, "bridge-token")
	var said string
	c.until(30*time.Second, "the reason in a konsole frame", func(f frame) bool {
		if f.Type == "konsole" && f.KonsoleID == "devbox" && f.Err != "" {
			said = f.Err
			return true
		}
		return false
	})
	if !strings.Contains(said, "konui is not installed on konui-test (ssh said: bash: line 1: konui: command not found); install it there") {
		t.Fatalf("the dashboard was told %q", said)
	}
}
