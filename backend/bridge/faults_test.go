package bridge_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/testkit/fakeclock"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func health(t *testing.T, h *bridgeHarness) map[string]any {
	t.Helper()
	resp, err := http.Get(h.srv.URL + "/api/health?token=" + h.token)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return m
}

// The keep-alive runs on a fake clock that the test moves: with the
// defaults (a heartbeat and ping every 30 s, stale after 90 s without a
// frame or pong) each client is checked every 30 s. A client that sends
// nothing is dropped at the first check past 90 s, and only then; one that
// sends a frame between checks stays, however slow the machine is.
func TestAStaleClientIsDropped(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	clk := fakeclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.Clock = clk })
	// A raw client that never reads: it answers no ping and sends nothing.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, h.wsBase+"/api/console/ws?token="+h.token+"&clientId=silent", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	live := h.connect("clientId=live")
	clk.WaitTickers(t, 2) // both clients' keep-alives are running
	// The checks at 30, 60 and 90 s: nobody has been silent for more than
	// 90 s. Advance returns once both keep-alives took the tick; the live
	// client then sends a frame, as the dashboard's pings do.
	for range 3 {
		clk.Advance(30 * time.Second)
		if ack := live.request("ping", nil); !ack.OK {
			t.Fatalf("the live client's ping failed: %+v", ack)
		}
	}
	if n := health(t, h)["clients"].(float64); n != 2 {
		t.Fatalf("%v clients after 90 s, want 2: a client was dropped before it was stale", n)
	}
	// 120 s: the silent client has been silent for 120 s; the live one for 30.
	clk.Advance(30 * time.Second)
	clk.WaitTickers(t, 1) // the silent client's keep-alive ended: it was dropped
	if n := health(t, h)["clients"].(float64); n != 1 {
		t.Fatalf("%v clients after the stale check, want 1", n)
	}
	// It learns why: after what was queued for it, a close with 4002.
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			if code := websocket.CloseStatus(err); code != bridge.CloseStale {
				t.Fatalf("the silent client's connection ended with %v (%v), want %d", code, err, bridge.CloseStale)
			}
			break
		}
	}
	beats := live.until(5*time.Second, func(f frame) bool { return f.Type == "heartbeat" })
	if len(beats) == 0 || beats[len(beats)-1].Type != "heartbeat" {
		t.Fatal("no heartbeat frame")
	}
	if ack := live.request("ping", nil); !ack.OK {
		t.Fatal("the live client was dropped")
	}
}

func TestASlowClientDoesNotSlowAFastOneAndIsToldToResume(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		c.ReplayFrames, c.ClientQueue = 200, 200
		// Two things end a client that reads nothing: its queue
		// overflowing (a close with 4001, this test) and one write to its
		// full socket waiting WriteTimeout (an abrupt end, the next
		// test). Which comes first depended on the machine: the queue
		// overflows 400 frames after the socket fills, which took 12 s
		// under load, when the 10 s write timeout had already ended the
		// connection ("closed with -1"). Here no write times out before
		// the test does, so the overflow comes first on any machine.
		c.WriteTimeout = 10 * time.Minute
	})
	h.waitConnected()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, h.wsBase+"/api/console/ws?token="+h.token+"&clientId=slow", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	fast := h.connect("clientId=fast")
	// Big enough to overflow the socket buffers of a client that never
	// reads, paced so that a reading client keeps up.
	const n = 1500
	pad := strings.Repeat("x", 16<<10)
	go func() {
		for i := 0; i < n; i++ {
			if _, err := k.Server.Log().Append("test.tick", "", "", map[string]any{"i": i, "pad": pad}); err != nil {
				t.Error(err)
				return
			}
			if i%50 == 49 {
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	// Once the bridge has dropped the slow client, it reads: it finds its
	// backlog cut by a close that tells it to resume (the close frame
	// waits behind the backlog in the socket).
	closed := make(chan websocket.StatusCode, 1)
	go func() {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if resp, err := http.Get(h.srv.URL + "/api/health?token=" + h.token); err == nil {
				var m struct{ Clients int }
				json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if m.Clients == 1 {
					break
				}
			}
		}
		rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer rcancel()
		for {
			if _, _, err := slow.Read(rctx); err != nil {
				closed <- websocket.CloseStatus(err)
				return
			}
		}
	}()
	start := time.Now()
	got := 0
	fast.until(120*time.Second, func(f frame) bool {
		if f.Type == "event" && f.ev().Type == "test.tick" {
			got++
		}
		return got == n
	})
	took := time.Since(start)
	code := <-closed
	if code != bridge.CloseOverflow {
		t.Fatalf("slow client closed with %d, want %d", code, bridge.CloseOverflow)
	}
	t.Logf("fast client got %d events in %s while the slow one stalled", n, took)
}

// A client whose socket stays full is ended once one write to it has
// waited WriteTimeout, without a close frame (none can pass the full
// socket), and the others carry on: the bridge holds nothing for it.
func TestAClientThatReadsNothingIsEndedByTheWriteTimeout(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		// The default queue (24,096 frames) outlasts the frames sent
		// here: the write timeout, not an overflow, ends the client.
		c.WriteTimeout = 2 * time.Second
	})
	h.waitConnected()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stuck, _, err := websocket.Dial(ctx, h.wsBase+"/api/console/ws?token="+h.token+"&clientId=stuck", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.CloseNow()
	fast := h.connect("clientId=fast")
	// Events until the bridge has let the stuck client go: enough to fill
	// its socket, then one write that waits out the timeout.
	pad := strings.Repeat("x", 16<<10)
	sent := 0
	for health(t, h)["clients"].(float64) != 1 {
		if sent == 20000 {
			t.Fatalf("the stuck client was not ended after %d events of 16 KiB: %v", sent, health(t, h))
		}
		for range 50 {
			if _, err := k.Server.Log().Append("test.tick", "", "", map[string]any{"i": sent, "pad": pad}); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		// The fast client keeps reading meanwhile: it must get all.
		got := 0
		fast.until(60*time.Second, func(f frame) bool {
			if f.Type == "event" && f.ev().Type == "test.tick" {
				got++
			}
			return got == 50
		})
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer rcancel()
	for {
		if _, _, err := stuck.Read(rctx); err != nil {
			if code := websocket.CloseStatus(err); code != -1 {
				t.Fatalf("the stuck client ended with close code %d, want none: %v", code, err)
			}
			break
		}
	}
	if a := fast.request("ping", nil); !a.OK {
		t.Fatalf("the fast client after the stuck one ended: %+v", a)
	}
	t.Logf("the stuck client was ended after %d events", sent)
}

func TestBadFramesGetAnErrorAckAndTheConnectionStays(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	c := h.connect("clientId=junk")
	for _, junk := range []string{`not json`, `{"type":"prompt"}`, `[1,2]`, `{"id":"x1"}`} {
		if err := c.conn.Write(context.Background(), websocket.MessageText, []byte(junk)); err != nil {
			t.Fatal(err)
		}
		ack := c.until(5*time.Second, func(f frame) bool { return f.Type == "ack" })
		if a := ack[len(ack)-1]; a.OK || a.Error == "" || a.Code != bridge.CodeBadRequest {
			t.Fatalf("%s: ack %+v", junk, a)
		}
	}
	if a := c.request("frobnicate", nil); a.OK || !strings.Contains(a.Error, "unknown request type") || a.Code != bridge.CodeBadRequest {
		t.Fatalf("unknown type: %+v", a)
	}
	// Konsole's own code passes through.
	if a := c.request("prompt", map[string]any{"sessionId": "nope", "text": "hi"}); a.OK || !strings.Contains(a.Error, "no session") || a.Code != "not_found" {
		t.Fatalf("unknown session: %+v", a)
	}
	if a := c.request("stop", map[string]any{}); a.OK || !strings.Contains(a.Error, "sessionId is required") || a.Code != bridge.CodeBadRequest {
		t.Fatalf("missing sessionId: %+v", a)
	}
	if a := c.request("ping", nil); !a.OK || a.Code != "" {
		t.Fatalf("a good request's ack carries a code: %+v", a)
	}
	if a := c.request("ping", nil); !a.OK {
		t.Fatal("the connection did not survive junk")
	}
	big := `{"id":"big","type":"prompt","text":"` + strings.Repeat("a", 2<<20) + `"}`
	c.conn.Write(context.Background(), websocket.MessageText, []byte(big))
	select {
	case err := <-c.closed:
		if closeCode(err) != websocket.StatusMessageTooBig {
			t.Fatalf("oversized frame closed with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an oversized frame did not close the connection")
	}
	if a := h.connect("clientId=after").request("ping", nil); !a.OK {
		t.Fatal("the bridge was harmed by an oversized frame")
	}
}

func TestAnUnreachableKonsoleIsReportedDownAndRequestsFailFast(t *testing.T) {
	h := startBridge(t, "http://127.0.0.1:1", "whatever", func(c *bridge.Config) {
		c.DownAfter = 2
	})
	c := h.connect("clientId=x")
	start := time.Now()
	a := c.request("prompt", map[string]any{"sessionId": "s", "text": "hi"})
	if a.OK || !strings.Contains(a.Error, "unreachable") || a.Code != bridge.CodeKonsoleUnreachable || time.Since(start) > 5*time.Second {
		t.Fatalf("ack %+v after %s", a, time.Since(start))
	}
	c.until(10*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == "down" })
}

func TestAWrongKonsoleTokenIsReportedDownWithTheReason(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, "wrong-token", nil)
	c := h.connect("")
	fs := c.until(10*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == "down" })
	if !strings.Contains(string(fs[len(fs)-1].raw), "refused the token") {
		t.Fatalf("down frame: %s", fs[len(fs)-1].raw)
	}
	if strings.Contains(string(fs[len(fs)-1].raw), "wrong-token") {
		t.Fatal("the token leaked into a frame")
	}
}
