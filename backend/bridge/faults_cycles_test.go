package bridge_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// cycles reads a cycle count from the environment variable name, else def.
func cycles(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q is not a positive number", name, v)
		}
		return n
	}
	return def
}

// tally counts, against the events Konsole's log holds, those a client
// never got (lost) and those it got more than once (duplicated).
func tally(want []int64, got []int64) (lost, dup int) {
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
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
	return lost, dup
}

// TestDropAndResumeCyclesLoseAndRepeatNothing drops a WebSocket client in
// the middle of a stream, without a close frame, and resumes it with since,
// N times, while Konsole's log is appended to all along. Every event of the
// log must reach the client exactly once, in order. N is 50, or
// $KONUI_DROP_CYCLES.
func TestDropAndResumeCyclesLoseAndRepeatNothing(t *testing.T) {
	n := cycles(t, "KONUI_DROP_CYCLES", 50)
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()

	// The writer appends steadily, in small bursts, until told to stop.
	stop := make(chan struct{})
	var written sync.WaitGroup
	written.Add(1)
	go func() {
		defer written.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := k.Server.Log().Append("test.tick", "", "", map[string]any{"i": i}); err != nil {
				t.Error(err)
				return
			}
			if i%10 == 9 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()

	var ids []int64 // Konsole event ids as the client got them, in order
	var lastSeq int64
	first := int64(-1)
	read := func(c *wsClient, upto func(frame) bool) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case f, ok := <-c.frames:
				if !ok {
					t.Fatalf("the connection ended: %v", <-c.closed)
				}
				switch f.Type {
				case "resync":
					t.Fatalf("resync after seq %d: %s", lastSeq, f.raw)
				case "event":
					if f.Seq != lastSeq+1 && lastSeq != 0 {
						t.Fatalf("seq %d after %d", f.Seq, lastSeq)
					}
					lastSeq = f.Seq
					e := f.ev()
					if first < 0 {
						first = e.ID
					}
					ids = append(ids, e.ID)
				}
				if upto(f) {
					return
				}
			case <-deadline:
				t.Fatalf("no progress after seq %d", lastSeq)
			}
		}
	}
	c := h.connect("clientId=cycler")
	for i := 0; i < n; i++ {
		// Read a varying number of events, then drop the connection with
		// frames still on the way.
		want := 5 + (i*7)%40
		got := 0
		read(c, func(f frame) bool {
			if f.Type == "event" {
				got++
			}
			return got >= want
		})
		c.conn.CloseNow()
		for range c.frames { // what the dead connection still delivers is not counted
		}
		c = h.connect("clientId=cycler&since=" + strconv.FormatInt(lastSeq, 10))
	}
	close(stop)
	written.Wait()
	k.Server.Log().Flush()
	lastID := k.Server.Log().LastID()
	read(c, func(f frame) bool { return f.Type == "event" && f.ev().ID >= lastID })

	var want []int64
	for id := first; id <= lastID; id++ {
		want = append(want, id)
	}
	lost, dup := tally(want, ids)
	t.Logf("%d drop-and-resume cycles: Konsole wrote %d events from id %d to %d; the client got %d; lost %d, duplicated %d",
		n, len(want), first, lastID, len(ids), lost, dup)
	if lost != 0 || dup != 0 || len(ids) != len(want) {
		t.Fatalf("lost %d, duplicated %d (log %d, client %d)", lost, dup, len(want), len(ids))
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Fatalf("event %d after %d", ids[i], ids[i-1])
		}
	}
}

// TestKill9CyclesOfKonsoleLoseAndRepeatNothing runs "konui konsole" as its
// own process and, N times, kills it with SIGKILL in the middle of a turn
// and starts it again on the same data, while a client follows through the
// bridge. Then a last turn runs to its end. Every event of Konsole's log
// must have reached the client exactly once, each cut turn must be
// reported ended, and the session must resume. N is 10 (under make test),
// or $KONUI_KILL9_CYCLES (50 for the long run: KONUI_KILL9_CYCLES=50).
func TestKill9CyclesOfKonsoleLoseAndRepeatNothing(t *testing.T) {
	n := cycles(t, "KONUI_KILL9_CYCLES", 10)
	home := t.TempDir()
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	k := &konsoleProcess{t: t, bin: buildKonui(t), addr: freeAddr(t), token: "kill9-cycles-token", data: t.TempDir(),
		env: append(kt.AgentEnv(home, fake.URL), "XDG_CONFIG_HOME="+home)}
	work := filepath.Join(home, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	k.start()
	defer k.stop()

	h := startBridge(t, "http://"+k.addr, k.token, nil)
	h.waitConnected()
	c := h.connect("clientId=kill9-cycles")
	sid := k.api("POST", "/v1/sessions", `{"cwd":"`+work+`"}`)["id"].(string)

	var frames []frame
	cut := map[string]bool{} // turns cut by a kill
	start := time.Now()
	for i := 0; i < n; i++ {
		a := c.request("prompt", map[string]any{"sessionId": sid, "text": fmt.Sprintf("[[long 400]] cycle %d", i)})
		if !a.OK {
			t.Fatalf("cycle %d: prompt: %s", i, a.Error)
		}
		var r struct{ TurnID string }
		if err := json.Unmarshal(a.Result, &r); err != nil {
			t.Fatal(err)
		}
		cut[r.TurnID] = true
		deltas := 0
		want := 3 + i%5 // kill at a different point of the turn each time
		frames = append(frames, c.until(60*time.Second, func(f frame) bool {
			if e := f.ev(); f.Type == "event" && e.Type == "text.delta" && e.TurnID == r.TurnID {
				deltas++
			}
			return deltas >= want
		})...)
		s := k.api("GET", "/v1/sessions/"+sid, "")
		pid, _ := s["agentPid"].(float64)
		k.kill9()
		if pid > 0 {
			killOrphan(int(pid))
		}
		frames = append(frames, c.until(20*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State != "connected" })...)
		k.start()
		frames = append(frames, c.until(30*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == "connected" })...)
	}

	a := c.request("prompt", map[string]any{"sessionId": sid, "text": "after the crashes"})
	if !a.OK {
		t.Fatalf("prompt after the crashes: %s", a.Error)
	}
	var r struct{ TurnID string }
	if err := json.Unmarshal(a.Result, &r); err != nil {
		t.Fatal(err)
	}
	frames = append(frames, c.until(90*time.Second, turnDone(r.TurnID))...)

	var got []int64
	ended := map[string]bool{}
	for _, f := range frames {
		if f.Type != "event" {
			continue
		}
		e := f.ev()
		got = append(got, e.ID)
		if e.Type == "turn.completed" {
			ended[e.TurnID] = true
		}
	}
	want := k.logIDs(got[len(got)-1])
	lost, dup := tally(want, got)
	t.Logf("%d kill -9 cycles in %s: Konsole's log holds %d events; the client got %d; lost %d, duplicated %d",
		n, time.Since(start).Round(time.Second), len(want), len(got), lost, dup)
	if lost != 0 || dup != 0 || len(got) != len(want) {
		t.Fatalf("lost %d, duplicated %d (log %d, client %d)", lost, dup, len(want), len(got))
	}
	for turn := range cut {
		if !ended[turn] {
			t.Errorf("turn %s, cut by a kill, was never reported ended", turn)
		}
	}
	tr := fake.Requests()[len(fake.Requests())-1].Transcript()
	if !strings.Contains(tr, fmt.Sprintf("cycle %d", n-1)) {
		t.Fatalf("the session did not resume across the restarts: %q", tr)
	}
}
