package bridge

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

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
	ns, err := newNotifications(&countNotifier{got: make(chan string, 10)}, dir, nil, lg)
	if err != nil {
		t.Fatal(err)
	}
	ns.now = func() time.Time { return now }
	ns.state.Since = now.Add(-30 * 24 * time.Hour)
	ns.offer(kontaskJSON("old", now.Add(-8*24*time.Hour))) // outside the window: never notified
	ns.offer(kontaskJSON("recent", now.Add(-1*time.Hour))) // notified and remembered
	ns.offer(kontaskJSON("recent", now.Add(-1*time.Hour))) // once
	if len(ns.queue) != 1 || ns.queue[0].ID != "recent" {
		t.Fatalf("queue = %+v", ns.queue)
	}
	now = now.Add(8 * 24 * time.Hour)
	ns.offer(kontaskJSON("later", now))
	var st notifyState
	b, _ := os.ReadFile(filepath.Join(dir, notifyStateFile))
	if err := json.Unmarshal(b, &st); err != nil || len(st.Notified) != 1 || st.Notified["later"].IsZero() {
		t.Fatalf("stored state = %s (%v): the id that left the window should be forgotten", b, err)
	}

	os.WriteFile(filepath.Join(dir, notifyStateFile), []byte("{not json"), 0o600)
	n := &countNotifier{got: make(chan string, 10)}
	ns2, err := newNotifications(n, dir, nil, lg)
	if err != nil {
		t.Fatalf("an unreadable state file stopped the bridge: %v", err)
	}
	if time.Since(ns2.state.Since) > time.Minute {
		t.Fatalf("since = %v, want now", ns2.state.Since)
	}
	ns2.offer(kontaskJSON("new", time.Now()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ns2.run(ctx); close(done) }()
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
