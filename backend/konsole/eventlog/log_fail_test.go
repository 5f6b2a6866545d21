package eventlog

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
)

// failingStore fails its writes while fail is set. TestDiskFullWhileRunning
// plays a real full disk on a tmpfs, which needs mount permission; this
// wrapper checks the same contract of the Log anywhere.
type failingStore struct {
	*store.Store
	fail atomic.Bool
}

func (f *failingStore) AppendEvents(rows []store.EventRow) error {
	if f.fail.Load() {
		return errors.New("disk full (simulated)")
	}
	return f.Store.AppendEvents(rows)
}

func TestALogThatCannotWriteRefusesEventsAndKeepsWhatItAccepted(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "konsole.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &failingStore{Store: st}
	l, err := NewLog(fs, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(contract.EvTextDelta, "s", "t", map[string]any{"text": "before"}); err != nil {
		t.Fatal(err)
	}
	l.Flush()

	fs.fail.Store(true)
	accepted, err := l.Append(contract.EvTextDelta, "s", "t", map[string]any{"text": "the write of this one fails"})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); l.Failing() == nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Failing never reported the failed write")
		}
	}
	if _, err := l.Append(contract.EvTextDelta, "s", "t", map[string]any{"text": "refused"}); !errors.Is(err, ErrStorage) {
		t.Fatalf("Append while the store fails = %v; want ErrStorage", err)
	}
	if l.LastID() >= accepted.ID {
		t.Fatal("an event that was not written is reported committed")
	}

	fs.fail.Store(false)
	l.Flush() // returns once the retry wrote the accepted event
	if l.Failing() != nil || l.LastID() != accepted.ID {
		t.Fatalf("after recovery: Failing %v, LastID %d, want %d", l.Failing(), l.LastID(), accepted.ID)
	}
	next, err := l.Append(contract.EvTextDelta, "s", "t", map[string]any{"text": "after"})
	if err != nil || next.ID != accepted.ID+1 {
		t.Fatalf("Append after recovery = %d, %v; want id %d (no gap for the refused one)", next.ID, err, accepted.ID+1)
	}
	l.Flush()
	rows, err := st.EventsAfter(0, next.ID, 10)
	if err != nil || len(rows) != 3 {
		t.Fatalf("stored %d rows (%v); want 3", len(rows), err)
	}
}

func TestClosingALogWhoseStoreFailsEndsInBoundedTimeAndNamesWhatWasLost(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "konsole.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fs := &failingStore{Store: st}
	var logged syncBuffer
	l, err := NewLog(fs, 0, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := l.Subscribe(-1)
	if err != nil {
		t.Fatal(err)
	}
	fs.fail.Store(true)
	first, err := l.Append(contract.EvTextDelta, "s", "t", map[string]any{"text": "never written"})
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	go func() { l.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(15 * time.Second): // three times the grace
		t.Fatal("Close hung while the store fails")
	}
	out := logged.String()
	if !strings.Contains(out, "they are lost") || !strings.Contains(out, "count=1") || !strings.Contains(out, fmt.Sprintf("firstId=%d", first.ID)) ||
		!strings.Contains(out, "text.delta:1") {
		t.Fatalf("Close did not say what it could not write: %s", out)
	}
	if _, ok := <-sub.C(); ok {
		t.Fatal("a subscriber received an event that was never written")
	}
	if _, err := l.Append(contract.EvTextDelta, "s", "t", nil); err == nil {
		t.Fatal("a closed log accepted an event")
	}
}

// syncBuffer is a bytes.Buffer that the log's writer and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
