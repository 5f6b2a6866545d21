package bridge_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// forward is a loopback TCP forwarder to a Konsole: what an SSH tunnel's
// local end looks like to the bridge. Close drops it and every connection.
type forward struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newForward(t *testing.T, target string) *forward {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &forward{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			f.mu.Lock()
			f.conns = append(f.conns, c, up)
			f.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(f.Close)
	return f
}

func (f *forward) URL() string { return "http://" + f.ln.Addr().String() }

func (f *forward) Close() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}

func TestFleetResolveRunsBeforeEachAttemptAndADroppedTunnelResumesExactly(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	target := strings.TrimPrefix(k.URL, "http://")
	allow := make(chan struct{})
	var mu sync.Mutex
	var cur *forward
	calls := 0
	resolve := func(ctx context.Context) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		select {
		case <-allow:
		default:
			return "", "", errors.New("the tunnel is not up yet")
		}
		if cur == nil {
			cur = newForward(t, target)
		}
		return cur.URL(), k.Token, nil
	}
	closed := 0
	h := startFleet(t, []bridge.KonsoleSpec{{ID: "tun", Name: "Tunnelled", Kind: "ssh", URL: "ssh://me@box", Resolve: resolve,
		Close: func() { closed++ }}}, nil)
	ws := h.connect("clientId=tunnel")
	ws.until(10*time.Second, func(f frame) bool {
		return f.Type == "konsole" && f.KonsoleID == "tun" && strings.Contains(string(f.raw), "the tunnel is not up yet")
	})
	close(allow)
	h.waitState("tun", bridge.StateConnected, 10*time.Second)

	st, s := h.call("POST", "/api/sessions", `{"cwd":"`+k.Work+`"}`)
	if st != http.StatusCreated || s["konsoleId"] != "tun" {
		t.Fatalf("session through the tunnel: %d %v", st, s)
	}
	turn := ws.promptTurn(s["id"].(string), "[[long 100]]")
	deltas := 0
	frames := ws.until(30*time.Second, func(f frame) bool {
		if f.Type == "event" && f.ev().Type == "text.delta" {
			deltas++
		}
		return deltas == 10
	})
	mu.Lock()
	cur.Close()
	cur = nil
	before := calls
	mu.Unlock()
	frames = append(frames, ws.until(30*time.Second, turnDone(turn))...)
	mu.Lock()
	after := calls
	mu.Unlock()
	if after <= before {
		t.Fatalf("Resolve was not asked again after the tunnel dropped (%d calls)", after)
	}
	var got []int64
	seen := map[int64]int{}
	for _, f := range frames {
		if f.Type == "event" {
			got = append(got, f.ev().ID)
			seen[f.ev().ID]++
		}
	}
	stream := k.Events(got[0] - 1)
	defer stream.Close()
	logged := stream.Until(t, 10*time.Second, func(e kt.Event) bool { return e.ID >= got[len(got)-1] })
	if len(logged) != len(got) || len(seen) != len(got) {
		t.Fatalf("through a dropped tunnel: log %d events, client %d (%d distinct)", len(logged), len(got), len(seen))
	}
	h.b.Close()
	if closed != 1 {
		t.Fatalf("Close ran %d times", closed)
	}
}
