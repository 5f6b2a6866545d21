package bridge_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// recorder is a Notifier that counts what it hears.
type recorder struct {
	mu  sync.Mutex
	got map[string]int
	c   chan bridge.Kontask
}

func newRecorder() *recorder {
	return &recorder{got: map[string]int{}, c: make(chan bridge.Kontask, 100)}
}

func (r *recorder) KontaskCreated(k bridge.Kontask) {
	r.mu.Lock()
	r.got[k.ID]++
	r.mu.Unlock()
	r.c <- k
}

func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[id]
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.got {
		n += c
	}
	return n
}

// wait returns the next kontask heard, failing after timeout.
func (r *recorder) wait(t *testing.T, timeout time.Duration) bridge.Kontask {
	t.Helper()
	select {
	case k := <-r.c:
		return k
	case <-time.After(timeout):
		t.Fatal("the notifier heard nothing")
	}
	return bridge.Kontask{}
}

// settled checks that nothing is heard before a sentinel kontask made on k
// now: the notifier takes kontasks in order, so a repeat or a wrongly
// notified one already on its way comes first. It returns the sentinel's id.
func (r *recorder) settled(t *testing.T, k *kt.Harness) string {
	t.Helper()
	sentinel := restKontask(t, k, "Sentinel")
	if got := r.wait(t, 10*time.Second); got.ID != sentinel {
		t.Fatalf("the notifier heard %s (%q) again or unexpectedly", got.ID, got.Title)
	}
	return sentinel
}

// gate is a transport that can refuse every request, to keep the bridge
// from reconnecting while a test does something behind its back.
type gate struct{ shut atomic.Bool }

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if g.shut.Load() {
		return nil, errors.New("the gate is shut")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func restKontask(t *testing.T, k *kt.Harness, title string) string {
	t.Helper()
	status, r := k.Do("POST", "/v1/kontasks", map[string]any{"title": title})
	if status != http.StatusCreated {
		t.Fatalf("create %s: %d %v", title, status, r)
	}
	return r["id"].(string)
}

func TestTheNotifierHearsEachNewKontaskOnceAcrossAReconnectWithReplay(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	backlog := restKontask(t, k, "Old backlog")
	time.Sleep(10 * time.Millisecond)
	rec, g := newRecorder(), &gate{}
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) {
		c.Notifier, c.StateDir, c.HTTPClient = rec, t.TempDir(), &http.Client{Transport: g}
	})
	h.waitConnected()
	c := h.connect("clientId=notified")

	sid := k.CreateSession()
	ack := c.request("prompt", map[string]any{"sessionId": sid,
		"text": `[[kontask: {"title":"From the agent","description":"made in a turn","choices":[{"label":"Next","value":"do the next thing"}]}]]`})
	if !ack.OK {
		t.Fatalf("prompt: %s", ack.Error)
	}
	var turn struct{ TurnID string }
	if err := json.Unmarshal(ack.Result, &turn); err != nil {
		t.Fatal(err)
	}
	frames := c.until(90*time.Second, turnDone(turn.TurnID))
	var created string
	for _, f := range frames {
		if e := f.ev(); f.Type == "event" && e.Type == "kontask.created" {
			var d struct{ Kontask struct{ ID string } }
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			created = d.Kontask.ID
		}
	}
	if created == "" {
		t.Fatal("the WebSocket client got no kontask.created")
	}
	if got := rec.wait(t, 10*time.Second); got.ID != created || got.Title != "From the agent" || got.SessionID != sid ||
		got.RequestID != turn.TurnID || !strings.Contains(string(got.Raw), `"do the next thing"`) {
		t.Fatalf("notified %+v", got)
	}

	// Cut the bridge off, create a kontask behind its back, let it back in:
	// Konsole replays the missed kontask.created and the catch-up lists both
	// kontasks; each is still heard once.
	g.shut.Store(true)
	k.Server.Log().EndSubscriptions()
	c.until(10*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State != bridge.StateConnected })
	missed := restKontask(t, k, "Made while the bridge was away")
	g.shut.Store(false)
	c.until(10*time.Second, func(f frame) bool { return f.Type == "konsole" && f.State == bridge.StateConnected })
	if got := rec.wait(t, 10*time.Second); got.ID != missed {
		t.Fatalf("after the reconnect heard %s, want %s", got.ID, missed)
	}
	c.until(10*time.Second, func(f frame) bool {
		var d struct{ Kontask struct{ ID string } }
		json.Unmarshal(f.ev().Data, &d)
		return f.Type == "event" && f.ev().Type == "kontask.created" && d.Kontask.ID == missed
	})
	rec.settled(t, k)
	if rec.count(created) != 1 || rec.count(missed) != 1 || rec.count(backlog) != 0 || rec.total() != 3 {
		t.Fatalf("heard %v", rec.got)
	}
}

func TestTheNotifierDoesNotRepeatAcrossABridgeRestartWithTheSameStateDir(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	dir := filepath.Join(t.TempDir(), "state")
	rec1 := newRecorder()
	h1 := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.Notifier, c.StateDir = rec1, dir })
	h1.waitConnected()
	first := restKontask(t, k, "First")
	if got := rec1.wait(t, 10*time.Second); got.ID != first {
		t.Fatalf("heard %s", got.ID)
	}
	h1.b.Close()
	if fi, err := os.Stat(filepath.Join(dir, "notified-kontasks.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}

	whileDown := restKontask(t, k, "While no bridge ran")
	rec2 := newRecorder()
	h2 := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.Notifier, c.StateDir = rec2, dir })
	h2.waitConnected()
	if got := rec2.wait(t, 10*time.Second); got.ID != whileDown {
		t.Fatalf("the restarted bridge heard %s (%q), want the one made while it was down", got.ID, got.Title)
	}
	live := restKontask(t, k, "Live after the restart")
	if got := rec2.wait(t, 10*time.Second); got.ID != live {
		t.Fatalf("heard %s", got.ID)
	}
	rec2.settled(t, k)
	if rec2.count(first) != 0 || rec2.total() != 3 {
		t.Fatalf("the restarted bridge heard %v", rec2.got)
	}

	// A bridge with a new state folder starts afresh: the backlog is old.
	rec3 := newRecorder()
	h3 := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.Notifier, c.StateDir = rec3, t.TempDir() })
	h3.waitConnected()
	// Its catch-up finds only old kontasks: the first one heard is new.
	rec3.settled(t, k)
}

func TestChoosingAKontaskPromptsItsEndedSessionAndMarksIt(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()
	c := h.connect("clientId=chooser")
	sid := k.CreateSession()
	ack := c.request("prompt", map[string]any{"sessionId": sid,
		"text": `[[kontask: {"title":"Pick one","choices":[{"label":"Alpha","value":"chosen value alpha","primary":true},{"label":"Beta","value":"beta"}]}]]`})
	var turn struct{ TurnID string }
	if err := json.Unmarshal(ack.Result, &turn); err != nil {
		t.Fatal(err)
	}
	var kid string
	for _, f := range c.until(90*time.Second, turnDone(turn.TurnID)) {
		if e := f.ev(); f.Type == "event" && e.Type == "kontask.created" {
			var d struct{ Kontask struct{ ID string } }
			if err := json.Unmarshal(e.Data, &d); err != nil {
				t.Fatal(err)
			}
			kid = d.Kontask.ID
		}
	}
	if kid == "" {
		t.Fatal("no kontask.created")
	}
	if status, _ := k.Do("DELETE", "/v1/sessions/"+sid, nil); status != http.StatusNoContent {
		t.Fatalf("end session: %d", status)
	}
	if _, s := k.Do("GET", "/v1/sessions/"+sid, nil); s["status"] != "exited" {
		t.Fatalf("session = %v", s["status"])
	}

	ack = c.request("kontask.choose", map[string]any{"kontaskId": kid, "value": "chosen value alpha"})
	if !ack.OK {
		t.Fatalf("choose: %s", ack.Error)
	}
	if err := json.Unmarshal(ack.Result, &turn); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	updated := false
	for _, f := range c.until(90*time.Second, turnDone(turn.TurnID)) {
		e := f.ev()
		if f.Type != "event" {
			continue
		}
		if e.Type == "text.delta" && e.TurnID == turn.TurnID {
			text.WriteString(e.text())
		}
		if e.Type == "kontask.updated" && strings.Contains(string(e.Data), `"status":"completed"`) {
			updated = true
		}
	}
	if text.String() != "Echo: chosen value alpha" {
		t.Fatalf("the chosen turn answered %q", text.String())
	}
	if !updated {
		c.until(10*time.Second, func(f frame) bool { return f.Type == "event" && f.ev().Type == "kontask.updated" })
	}
	if _, kon := k.Do("GET", "/v1/kontasks/"+kid, nil); kon["status"] != "completed" || kon["readAt"] == nil {
		t.Fatalf("kontask after choose = %v", kon)
	}
	reqs := k.Fake.Requests()
	if tr := reqs[len(reqs)-1].Transcript(); !strings.Contains(tr, "Pick one") && !strings.Contains(tr, "[[kontask:") {
		t.Fatalf("the ended session did not resume its conversation: %q", tr)
	}

	other := restKontask(t, k, "No session")
	if a := c.request("kontask.choose", map[string]any{"kontaskId": other, "value": "x"}); a.OK || !strings.Contains(a.Error, "belongs to no session") {
		t.Fatalf("choose a sessionless kontask: %+v", a)
	}
	if a := c.request("kontask.choose", map[string]any{"kontaskId": "nope", "value": "x"}); a.OK || !strings.Contains(a.Error, "no kontask with id") {
		t.Fatalf("choose an unknown kontask: %+v", a)
	}
}
