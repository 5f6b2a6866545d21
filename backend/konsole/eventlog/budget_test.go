package eventlog_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/store"
)

// TestEventRetentionIsBoundedInBytes: Konsole keeps events up to a size as
// well as a count (issue 13, 2), so a few huge events cannot fill the disk
// and a client resuming from the start is not sent them all: it gets a
// reset instead.
func TestEventRetentionIsBoundedInBytes(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "konsole.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const budget = 256 << 10
	lg, err := eventlog.NewLogBytes(st, 100_000, budget, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	big := strings.Repeat("<", 10<<10)
	for i := 0; i < 100; i++ {
		if _, err := lg.Append(contract.EvMessage, "s", "t", map[string]any{"text": big}); err != nil {
			t.Fatal(err)
		}
	}
	lg.Flush()
	// The writer trims right after it publishes a batch, so after Flush
	// returns: wait for it (bounded), not for a fixed time.
	trimmed := func() bool {
		sub, err := lg.Subscribe(0)
		if err != nil {
			return false
		}
		defer sub.Close()
		return sub.Reset()
	}
	kept, err := st.EventBytes()
	for deadline := time.Now().Add(5 * time.Second); err == nil && (kept > budget || !trimmed()) && time.Now().Before(deadline); kept, err = st.EventBytes() {
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if kept > budget {
		t.Errorf("%d bytes of events kept, over the budget of %d", kept, budget)
	}
	rows, _ := st.EventsAfter(0, lg.LastID(), 1000)
	if len(rows) == 0 || rows[len(rows)-1].ID != lg.LastID() || len(rows[0].Line) > 11<<10 {
		t.Errorf("kept %d events, the newest first? %v; the '<' escaped?", len(rows), rows != nil)
	}
	sub, err := lg.Subscribe(0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if !sub.Reset() {
		t.Error("a client resuming from 0 was not told to reset though the oldest events are gone")
	}
	t.Logf("kept %d events, %d bytes", len(rows), kept)
}
