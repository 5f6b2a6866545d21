package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/upstream"
)

// LocalID is the bridge's id of the local Konsole, as the bridge passes it.
const LocalID = "local"

// httpGetter GETs a real server's route, as the bridge's REST client does.
type httpGetter struct {
	base   string
	client *http.Client
}

func (g httpGetter) Get(ctx context.Context, path string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", g.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

type countNotifier struct{ got chan string }

func (c *countNotifier) KontaskCreated(k Kontask) { c.got <- k.ID }

func kontaskJSON(id string, at time.Time) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"id": id, "title": id, "createdAt": at})
	return b
}

func TestNotifyStateForgetsOldIdsAndSurvivesAnUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ns, err := New(Options{Notifier: &countNotifier{got: make(chan string, 10)}, StateDir: dir, LocalID: LocalID, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	ns.now = func() time.Time { return now }
	ns.state.Since = now.Add(-30 * 24 * time.Hour)
	ns.offer([]incomingKontask{{LocalID, kontaskJSON("old", now.Add(-8*24*time.Hour))}}) // outside the window: never notified
	ns.offer([]incomingKontask{{LocalID, kontaskJSON("recent", now.Add(-1*time.Hour))}}) // notified and remembered
	ns.offer([]incomingKontask{{LocalID, kontaskJSON("recent", now.Add(-1*time.Hour))}}) // once
	if len(ns.queue) != 1 || ns.queue[0].ID != "recent" {
		t.Fatalf("queue = %+v", ns.queue)
	}
	now = now.Add(8 * 24 * time.Hour)
	ns.offer([]incomingKontask{{LocalID, kontaskJSON("later", now)}})
	var st notifyState
	b, _ := os.ReadFile(filepath.Join(dir, notifyStateFile))
	if err := json.Unmarshal(b, &st); err != nil || len(st.Notified) != 1 || st.Notified["later"].IsZero() {
		t.Fatalf("stored state = %s (%v): the id that left the window should be forgotten", b, err)
	}

	if err := os.WriteFile(filepath.Join(dir, notifyStateFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := &countNotifier{got: make(chan string, 10)}
	ns2, err := New(Options{Notifier: n, StateDir: dir, LocalID: LocalID, Logger: lg})
	if err != nil {
		t.Fatalf("an unreadable state file stopped the bridge: %v", err)
	}
	if time.Since(ns2.state.Since) > time.Minute {
		t.Fatalf("since = %v, want now", ns2.state.Since)
	}
	ns2.offer([]incomingKontask{{LocalID, kontaskJSON("new", time.Now())}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ns2.Run(ctx); close(done) }()
	select {
	case id := <-n.got:
		if id != "new" {
			t.Fatalf("notified %s", id)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing notified")
	}
	cancel()
	<-done
}

// runNotifications runs ns until the test ends.
func runNotifications(t *testing.T, ns *Notifications) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ns.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitNotified(t *testing.T, n *countNotifier, want ...string) {
	t.Helper()
	for _, id := range want {
		select {
		case got := <-n.got:
			if got != id {
				t.Fatalf("notified %s, want %s", got, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s was never notified", id)
		}
	}
}

func TestTheDeliveryPathOnlyQueuesAKontaskAndTheNotifierGoroutineWritesTheState(t *testing.T) {
	dir := t.TempDir()
	n := &countNotifier{got: make(chan string, 10)}
	ns, err := New(Options{Notifier: n, StateDir: dir, LocalID: LocalID, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	stateFile := filepath.Join(dir, notifyStateFile)
	before, _ := os.ReadFile(stateFile)
	raw, _ := json.Marshal(map[string]any{"type": "kontask.created", "data": map[string]any{"kontask": kontaskJSON("k1", time.Now())}})
	ns.Event(LocalID, upstream.Event{ID: 1, Type: "kontask.created", Raw: raw})
	// Nothing runs ns yet: whatever event did, it did on the delivery path.
	if after, _ := os.ReadFile(stateFile); string(after) != string(before) {
		t.Fatalf("the delivery path wrote the state file: %s", after)
	}
	runNotifications(t, ns)
	waitNotified(t, n, "k1")
	var st notifyState
	b, _ := os.ReadFile(stateFile)
	if err := json.Unmarshal(b, &st); err != nil || st.Notified["k1"].IsZero() {
		t.Fatalf("the notified kontask was not recorded: %s (%v)", b, err)
	}
}

// A state file write that hangs (a stalled disk) holds the notifier's
// goroutine, never the delivery path: the next kontask.created event is
// taken at once, and notified once the write is through.
func TestAStalledStateWriteDoesNotHoldTheDeliveryPath(t *testing.T) {
	n := &countNotifier{got: make(chan string, 10)}
	ns, err := New(Options{Notifier: n, StateDir: t.TempDir(), LocalID: LocalID, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	writing, release := make(chan struct{}, 4), make(chan struct{})
	ns.write = func(path string, b []byte) error {
		writing <- struct{}{}
		<-release
		return writeState(path, b)
	}
	created := func(id string) upstream.Event {
		raw, _ := json.Marshal(map[string]any{"type": "kontask.created", "data": map[string]any{"kontask": kontaskJSON(id, time.Now())}})
		return upstream.Event{ID: 1, Type: "kontask.created", Raw: raw}
	}
	runNotifications(t, ns)
	ns.Event(LocalID, created("k1"))
	select {
	case <-writing:
	case <-time.After(5 * time.Second):
		t.Fatal("the notifier never wrote the state for k1")
	}
	took := make(chan struct{})
	go func() {
		ns.Event(LocalID, created("k2"))
		close(took)
	}()
	select {
	case <-took:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("a kontask.created event waited for the state file write of the one before")
	}
	close(release)
	waitNotified(t, n, "k1", "k2")
}

func TestOneUnreadableKontaskDoesNotEndTheCatchUp(t *testing.T) {
	now := time.Now().UTC()
	list := []json.RawMessage{kontaskJSON("newest", now.Add(-time.Minute)), json.RawMessage(`{"id":"bad","createdAt":"not a time"}`),
		json.RawMessage(`{"id":"no-time"}`), kontaskJSON("older", now.Add(-2*time.Minute))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"kontasks": list})
	}))
	defer srv.Close()
	var logged bytes.Buffer
	n := &countNotifier{got: make(chan string, 10)}
	ns, err := New(Options{Notifier: n, LocalID: LocalID, API: func(string) Getter { return httpGetter{srv.URL, srv.Client()} },
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ns.state.Since = now.Add(-time.Hour)
	ns.fetchMissed(context.Background(), LocalID)
	if len(ns.queue) != 2 || ns.queue[0].ID != "older" || ns.queue[1].ID != "newest" {
		t.Fatalf("queued %+v; want older, then newest", ns.queue)
	}
	if c := strings.Count(logged.String(), "skipping an unreadable kontask in the catch-up"); c != 2 {
		t.Fatalf("logged %d skipped kontasks, want 2: %s", c, logged.String())
	}
}
