package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge/hub"
	"github.com/konui/konui/backend/bridge/upstream"
	"github.com/konui/konui/backend/testkit/fakeclock"
)

type frame struct {
	Type      string          `json:"type"`
	Seq       int64           `json:"seq"`
	KonsoleID string          `json:"konsoleId"`
	Event     json.RawMessage `json:"event"`
	Reason    string          `json:"reason"`
	Ref       string          `json:"ref"`
	Konsoles  []hub.KonsoleInfo
}

// serve runs h behind a real HTTP server; ws dials it.
func serve(t *testing.T, h *hub.Hub) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(h.ServeWS))
	t.Cleanup(func() { h.CloseAll(hub.CloseShutdown, "test over"); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("failed to read a frame: %v", err)
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("a frame that is not JSON: %q", data)
	}
	return f
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func event(id int) upstream.Event {
	return upstream.Event{ID: int64(id), Type: "text.delta", Raw: json.RawMessage(fmt.Sprintf(`{"id":%d,"type":"text.delta"}`, id))}
}

func TestAClientResumingWithSinceGetsHelloThenTheFramesAfterItAndResyncWhenTheyAreGone(t *testing.T) {
	h := hub.New(hub.Options{ReplayFrames: 3, Primary: "local", Logger: quiet()})
	h.AddKonsole(hub.KonsoleInfo{ID: "local", Name: "Local", State: upstream.StateConnected})
	h.AddKonsole(hub.KonsoleInfo{ID: "b", Name: "B"}) // frames 1 and 2 (no client to see them)
	for i := 1; i <= 5; i++ {
		h.PublishEvent("local", event(i)) // seq 1..5; the ring keeps 3..5
	}
	if kept := h.Kept(); len(kept) != 3 {
		t.Fatalf("kept %d frames, want 3", len(kept))
	}
	base := serve(t, h)

	c := dial(t, base+"/?since=3")
	hello := read(t, c)
	if hello.Type != "hello" || hello.Seq != 5 || len(hello.Konsoles) != 2 {
		t.Fatalf("hello = %+v", hello)
	}
	for _, want := range []int64{4, 5} {
		if f := read(t, c); f.Type != "event" || f.Seq != want || f.KonsoleID != "local" {
			t.Fatalf("frame %+v, want the event of seq %d", f, want)
		}
	}
	h.PublishEvent("b", event(1))
	if f := read(t, c); f.Seq != 6 || f.KonsoleID != "b" {
		t.Fatalf("live frame %+v, want seq 6 of b", f)
	}

	// Frame 1 is no longer kept: the client must refetch.
	old := dial(t, base+"/?since=1")
	read(t, old) // hello
	if f := read(t, old); f.Type != "resync" || f.Reason != "since-out-of-range" {
		t.Fatalf("frame %+v, want resync since-out-of-range", f)
	}
	if seq, clients := h.Stats(); seq != 6 || clients != 2 {
		t.Fatalf("stats: seq %d, %d clients; want 6, 2", seq, clients)
	}
}

func TestTheReplayKeepsNoMoreBytesThanItsBudget(t *testing.T) {
	h := hub.New(hub.Options{ReplayFrames: 100, ReplayBytes: 200, Logger: quiet()})
	for i := 1; i <= 20; i++ {
		h.PublishEvent("local", event(i))
	}
	frames, bytes := h.ReplayStats()
	if bytes > 200 || frames == 0 || frames >= 20 {
		t.Fatalf("kept %d frames of %d bytes; want some, under 200 bytes", frames, bytes)
	}
	// The newest are the ones kept.
	kept := h.Kept()
	var last frame
	json.Unmarshal(kept[len(kept)-1], &last)
	if last.Seq != 20 {
		t.Fatalf("the newest frame kept is %d, want 20", last.Seq)
	}
}

func TestASecondConnectionWithTheSameClientIDReplacesTheFirst(t *testing.T) {
	h := hub.New(hub.Options{Logger: quiet()})
	base := serve(t, h)
	first := dial(t, base+"/?clientId=tab")
	read(t, first) // hello
	second := dial(t, base+"/?clientId=tab")
	read(t, second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := first.Read(ctx)
	if code := websocket.CloseStatus(err); code != hub.CloseReplaced {
		t.Fatalf("the first connection ended with %v (%v), want %d", code, err, hub.CloseReplaced)
	}
}

func TestEachTextFrameGetsTheAnswerOfRequestAndABinaryOneNotText(t *testing.T) {
	h := hub.New(hub.Options{Logger: quiet(), NotText: []byte(`{"type":"ack","ref":"","ok":false}`),
		Request: func(_ context.Context, data []byte) []byte {
			return []byte(`{"type":"ack","ref":` + string(data) + `}`)
		}})
	c := dial(t, serve(t, h))
	read(t, c) // hello
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(`"r1"`)); err != nil {
		t.Fatal(err)
	}
	if f := read(t, c); f.Type != "ack" || f.Ref != "r1" {
		t.Fatalf("answer %+v, want the ack of r1", f)
	}
	if err := c.Write(ctx, websocket.MessageBinary, []byte{1, 2}); err != nil {
		t.Fatal(err)
	}
	if f := read(t, c); f.Type != "ack" || f.Ref != "" {
		t.Fatalf("answer %+v, want the NotText ack", f)
	}
}

// The stale check on the hub's clock: a client that neither sends nor
// answers pings is dropped at the first check after StaleAfter, not
// before, and hears 4002; the heartbeat frames come every interval.
func TestASilentClientIsDroppedAtTheFirstCheckAfterStaleAfter(t *testing.T) {
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := hub.New(hub.Options{HeartbeatInterval: 10 * time.Second, StaleAfter: 30 * time.Second, Clock: clk, Logger: quiet()})
	c := dial(t, serve(t, h)) // it reads nothing until the end: it answers no ping
	clk.WaitTickers(t, 1)
	for range 3 { // 10, 20, 30 s: not stale yet
		clk.Advance(10 * time.Second)
	}
	if _, clients := h.Stats(); clients != 1 {
		t.Fatalf("%d clients at 30 s, want 1: dropped before it was stale", clients)
	}
	clk.Advance(10 * time.Second) // 40 s
	clk.WaitTickers(t, 0)
	if _, clients := h.Stats(); clients != 0 {
		t.Fatalf("%d clients after the stale check, want 0", clients)
	}
	var beats int
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, data, err := c.Read(ctx)
		cancel()
		if err != nil {
			if code := websocket.CloseStatus(err); code != hub.CloseStale {
				t.Fatalf("closed with %v (%v), want %d", code, err, hub.CloseStale)
			}
			break
		}
		var f frame
		json.Unmarshal(data, &f)
		if f.Type == "heartbeat" {
			beats++
		}
	}
	if beats != 3 {
		t.Fatalf("%d heartbeats before the drop, want 3 (at 10, 20 and 30 s)", beats)
	}
}
