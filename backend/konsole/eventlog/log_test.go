package eventlog

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/store"
)

func openLog(t *testing.T, path string, keep int64) (*Log, *store.Store) {
	t.Helper()
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := NewLog(st, keep, nil)
	if err != nil {
		t.Fatal(err)
	}
	return l, st
}

func collect(t *testing.T, sub *Subscription, n int) []int64 {
	t.Helper()
	var ids []int64
	last, err := sub.Replay(func(r store.EventRow) error { ids = append(ids, r.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for len(ids) < n {
		select {
		case r := <-sub.C():
			if r.ID > last {
				ids = append(ids, r.ID)
				last = r.ID
			}
		case <-timeout:
			t.Fatalf("got %d of %d events", len(ids), n)
		}
	}
	return ids
}

func TestReplayGivesExactlyTheEventsAfterTheIDAcrossAReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	l, st := openLog(t, path, 0)
	for i := 0; i < 2500; i++ {
		if _, err := l.Append("text.delta", "s", "t", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	st.Close()

	l, st = openLog(t, path, 0)
	defer st.Close()
	defer l.Close()
	sub, err := l.Subscribe(1234)
	if err != nil {
		t.Fatal(err)
	}
	// Live events appended during the replay are neither lost nor doubled.
	go func() {
		for i := 0; i < 500; i++ {
			if _, err := l.Append("text.delta", "s", "t", map[string]int{"i": i}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	ids := collect(t, sub, 3000-1234)
	for i, id := range ids {
		if id != int64(1235+i) {
			t.Fatalf("event %d has id %d, want %d", i, id, 1235+i)
		}
	}
}

func TestAnIDOlderThanTheKeptWindowGivesReset(t *testing.T) {
	l, st := openLog(t, filepath.Join(t.TempDir(), "k.db"), 100)
	defer st.Close()
	defer l.Close()
	for i := 0; i < 3000; i++ {
		if _, err := l.Append("x", "", "", struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	l.Flush()
	l.trim()
	sub, _ := l.Subscribe(5)
	if !sub.Reset() {
		t.Fatal("want reset for an id below the floor")
	}
	sub.Close()
	sub, _ = l.Subscribe(2950)
	if sub.Reset() {
		t.Fatal("no reset expected inside the window")
	}
	if ids := collect(t, sub, 50); ids[0] != 2951 || ids[49] != 3000 {
		t.Fatalf("replay %d..%d", ids[0], ids[49])
	}
	sub.Close()
	sub, _ = l.Subscribe(999_999)
	if !sub.Reset() {
		t.Fatal("want reset for an id from the future")
	}
}

func TestASubscriberThatFallsBehindIsNotWaitedForAndCatchesUpFromTheStore(t *testing.T) {
	l, st := openLog(t, filepath.Join(t.TempDir(), "k.db"), 0)
	defer st.Close()
	defer l.Close()
	slow, _ := l.Subscribe(-1)
	fast, _ := l.Subscribe(-1)
	const n = subscriberBuffer + 100
	done := make(chan int)
	go func() {
		got := 0
		for range fast.C() {
			got++
			if got == n {
				break
			}
		}
		done <- got
	}()
	for i := 0; i < n; i++ {
		if _, err := l.Append("x", "", "", struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case got := <-done:
		if got != n {
			t.Fatalf("fast subscriber got %d", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fast subscriber was held up by the slow one")
	}
	l.Flush()
	// The slow one was not waited for: it lagged, and reads the rest back.
	select {
	case <-slow.Lagged():
	case <-time.After(5 * time.Second):
		t.Fatal("the slow subscriber was not told it lagged")
	}
	var ids []int64
	last := int64(0)
	for len(slow.C()) > 0 {
		r := <-slow.C()
		if r.ID != last+1 {
			break
		}
		ids = append(ids, r.ID)
		last = r.ID
	}
	last, reset, err := slow.CatchUp(last, 0, func(r store.EventRow) error { ids = append(ids, r.ID); return nil })
	if err != nil || reset || last != n || len(ids) != n {
		t.Fatalf("catch-up: last %d reset %v err %v, %d ids", last, reset, err, len(ids))
	}
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("id %d at %d", id, i)
		}
	}
	if !slow.HasLagged() || fast.HasLagged() {
		t.Fatal("lag flags wrong")
	}
}
