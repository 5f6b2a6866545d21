package bridge_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// The budgets of the large-output attack (issue 13, 2), stated here and in
// docs/protocol.md.
const (
	// The 100 kontask_update calls add at most this much to Konsole's
	// events and to the bridge's replay buffer.
	attackEventBudget = 1 << 20
	// The bridge's heap grows by at most this much over the attack.
	attackHeapBudget = 64 << 20
	// A client that resumes from the start (since=0, Last-Event-ID: 0) is
	// sent at most this much, by the bridge and by Konsole.
	attackCatchUpBudget = 8 << 20
	// Konsole's data folder holds at most this much afterwards.
	attackDiskBudget = 48 << 20
)

// encodeRaw encodes v as JSON without the \u003c escapes (a client that
// sends its output as it is).
func encodeRaw(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return bytes.TrimSpace(b.Bytes())
}

// agentMCPToken reads the session's MCP token where its agent has it, as
// the agent itself could (its own environment).
func agentMCPToken(t *testing.T, k *kt.Harness, sid string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, s := k.Do("GET", "/v1/sessions/"+sid, nil)
		pid, ok := s["agentPid"].(float64)
		if !ok {
			continue
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", int(pid)))
		for _, kv := range bytes.Split(env, []byte{0}) {
			if v, ok := strings.CutPrefix(string(kv), kontaskmcp.MCPTokenEnv+"="); ok {
				return v
			}
		}
	}
	t.Fatal("the agent has no MCP token")
	return ""
}

func heapNow() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func dirSize(dir string) int64 {
	var n int64
	// The walk function never returns an error, so neither does the walk: an
	// entry that cannot be read counts as empty.
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// TestTheLargeOutputAttackStaysWithinItsBudget re-runs the probe of issue
// 13, 2: the real CLI delivers a kontask of 900 KiB of '<' (JSON's worst
// case), then the agent's credential calls kontask_update 100 times. Memory,
// disk and what a new client is sent stay within the budgets above.
func TestTheLargeOutputAttackStaysWithinItsBudget(t *testing.T) {
	// The update rate's burst, with a refill too slow to matter during the
	// test: the limit is then reached however slowly a loaded machine makes
	// the calls (at 2.7 s a call, a one-second refill never ran dry).
	saved := kontaskmcp.ToolRates[kontask.ToolUpdate]
	kontaskmcp.ToolRates[kontask.ToolUpdate] = kontaskmcp.ToolRate{Burst: saved.Burst, Every: time.Hour}
	t.Cleanup(func() { kontaskmcp.ToolRates[kontask.ToolUpdate] = saved })
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()
	c := h.connect("")
	sid := k.CreateSession()

	input := encodeRaw(map[string]any{"title": "big", "output": strings.Repeat("<", 900<<10)})
	status, body := k.DoRaw("POST", "/v1/sessions/"+sid+"/prompt", encodeRaw(map[string]any{"text": "[[kontask: " + string(input) + "]]"}), k.Token)
	if status != http.StatusAccepted {
		t.Fatalf("prompt: %d %.300s", status, body)
	}
	var prompted struct {
		TurnID string `json:"turnId"`
	}
	if err := json.Unmarshal(body, &prompted); err != nil {
		t.Fatal(err)
	}
	var ev frame
	c.until(120*time.Second, func(f frame) bool {
		if f.Type == "event" && f.ev().Type == "kontask.created" {
			ev = f
		}
		return turnDone(prompted.TurnID)(f)
	})
	var data struct {
		Kontask struct {
			ID      string `json:"id"`
			Context struct {
				Output string `json:"output"`
			} `json:"context"`
		} `json:"kontask"`
		OutputTruncated bool `json:"outputTruncated"`
		OutputBytes     int  `json:"outputBytes"`
	}
	if err := json.Unmarshal(ev.ev().Data, &data); err != nil {
		t.Fatal(err)
	}
	if !data.OutputTruncated || data.OutputBytes != 900<<10 || len(ev.raw) > 16<<10 {
		t.Fatalf("kontask.created is %d bytes, truncated %v, outputBytes %d", len(ev.raw), data.OutputTruncated, data.OutputBytes)
	}
	_, full := k.Do("GET", "/v1/kontasks/"+data.Kontask.ID, nil)
	if out, _ := full["context"].(map[string]any)["output"].(string); len(out) != 900<<10 {
		t.Fatalf("GET /v1/kontasks/{id} gave %d bytes of output", len(out))
	}

	tok := agentMCPToken(t, k, sid)
	k.Server.Log().Flush()
	events0, _ := k.Server.Store().EventBytes()
	replay0 := replayBytes(t, h)
	heap0 := heapNow()
	var done, limited int
	began := time.Now()
	for i := 0; i < 100; i++ {
		status := []string{"completed", "pending"}[i%2]
		call := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"kontask_update","arguments":{"id":%q,"status":%q}}}`, i+1, data.Kontask.ID, status)
		req, _ := http.NewRequest("POST", k.URL+"/mcp", strings.NewReader(call))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte(`"isError":true`)) && bytes.Contains(b, []byte("once every")):
			limited++
		case resp.StatusCode == http.StatusOK && bytes.Contains(b, []byte("is now")):
			done++
		default:
			t.Fatalf("update %d: %d %.300s", i, resp.StatusCode, b)
		}
	}
	// At most the burst and one per interval since the first call (a slow
	// machine, -race, lets more through, never more than that).
	rate := kontaskmcp.ToolRates[kontask.ToolUpdate]
	if allowed := rate.Burst + int(time.Since(began)/rate.Every) + 1; done > allowed {
		t.Errorf("%d of 100 updates in %v were done, more than the rate limit's %d", done, time.Since(began), allowed)
	}
	k.Server.Log().Flush()
	// The bridge has everything once it has relayed the newest event.
	last := k.Server.Log().LastID()
	for deadline := time.Now().Add(10 * time.Second); h.b.State().LastID < last; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the bridge is at %d, Konsole at %d", h.b.State().LastID, last)
		}
	}
	events1, _ := k.Server.Store().EventBytes()
	replay1 := replayBytes(t, h)
	heap1 := heapNow()
	t.Logf("%d updates done, %d limited; events +%d B, replay +%d B, heap %+d B", done, limited, events1-events0, replay1-replay0, heap1-heap0)
	if events1-events0 > attackEventBudget || replay1-replay0 > attackEventBudget {
		t.Errorf("the updates added %d B of events and %d B of replay, over %d", events1-events0, replay1-replay0, attackEventBudget)
	}
	if heap1-heap0 > attackHeapBudget {
		t.Errorf("the heap grew by %d B, over %d", heap1-heap0, attackHeapBudget)
	}

	// A new dashboard client resuming from the start.
	fresh, _, err := h.dial("token="+h.token+"&since=0", nil)
	if err != nil {
		t.Fatal(err)
	}
	seq := c.seq.Load()
	sent := 0
	fresh.until(30*time.Second, func(f frame) bool {
		sent += len(f.raw)
		return f.Type == "resync" || (f.Type == "event" && f.Seq >= seq)
	})
	// And a new client of Konsole's own stream from the first event.
	konsoleSent := konsoleCatchUp(t, k, last)
	t.Logf("a client from since=0 got %d B from the bridge, %d B from Konsole", sent, konsoleSent)
	if sent > attackCatchUpBudget || konsoleSent > attackCatchUpBudget {
		t.Errorf("a client from the start was sent %d B by the bridge and %d B by Konsole, over %d", sent, konsoleSent, attackCatchUpBudget)
	}
	// The write-ahead log is cut back when it restarts: at the first write
	// after a checkpoint (the checkpointer runs every 500 ms).
	size := dirSize(k.DataDir)
	for deadline := time.Now().Add(10 * time.Second); size > attackDiskBudget && time.Now().Before(deadline); size = dirSize(k.DataDir) {
		time.Sleep(600 * time.Millisecond)
		k.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": "after the attack"})
	}
	t.Logf("data folder %d B", size)
	if size > attackDiskBudget {
		t.Errorf("Konsole's data folder holds %d B, over %d", size, attackDiskBudget)
	}
}

func replayBytes(t *testing.T, h *bridgeHarness) int64 {
	t.Helper()
	a := do(t, h.srv.URL, "GET", "/api/health", h.token, false, "")
	var health struct {
		Replay struct {
			Bytes int64 `json:"bytes"`
		} `json:"replay"`
	}
	if err := json.Unmarshal(a.body, &health); err != nil {
		t.Fatal(err)
	}
	return health.Replay.Bytes
}

// konsoleCatchUp reads Konsole's stream from Last-Event-ID 0 until the
// event last and returns how many bytes it was sent.
func konsoleCatchUp(t *testing.T, k *kt.Harness, last int64) int {
	t.Helper()
	req, _ := http.NewRequest("GET", k.URL+"/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+k.Token)
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	c := make(chan kt.Event, 100000)
	go kt.ReadSSE(io.TeeReader(resp.Body, &raw), c)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e := <-c:
			if e.ID >= last || e.Type == contract.EvReset {
				return raw.Len()
			}
		case <-deadline:
			t.Fatalf("Konsole's stream did not reach %d", last)
		}
	}
}

// TestTheReplayBufferIsBoundedInBytes: the bridge keeps frames for since up
// to a size as well as a count (issue 13, 2); a client resuming from before
// what is kept resyncs instead of being sent it all.
func TestTheReplayBufferIsBoundedInBytes(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	const budget = 64 << 10
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.ReplayBytes = budget })
	h.waitConnected()
	c := h.connect("")
	for i := 0; i < 40; i++ {
		status, _ := k.DoRaw("POST", "/v1/kontasks", encodeRaw(map[string]any{"title": fmt.Sprint("k", i), "output": strings.Repeat("<", 8<<10)}), k.Token)
		if status != http.StatusCreated {
			t.Fatalf("create %d: %d", i, status)
		}
	}
	n := 0
	c.until(30*time.Second, func(f frame) bool {
		if f.Type == "event" && f.ev().Type == "kontask.created" {
			n++
		}
		return n == 40
	})
	if got := replayBytes(t, h); got > budget || got == 0 {
		t.Errorf("the replay buffer holds %d bytes; the budget is %d", got, budget)
	}
	fresh, _, err := h.dial("token="+h.token+"&since=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := fresh.until(10*time.Second, func(f frame) bool { return f.Type == "resync" || f.Type == "event" })
	if last := fs[len(fs)-1]; last.Type != "resync" {
		t.Errorf("a client from since=1 got %s instead of resync", last.raw[:min(len(last.raw), 200)])
	}
}
