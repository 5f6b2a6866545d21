package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Under a steady stream of single-event commits, with no pause for the
// log to restart on its own, the write-ahead log stays bounded and every
// event is in the database after a reopen.
func TestCheckpointerKeepsTheLogBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	line := bytes.Repeat([]byte("x"), 900)
	const n = 12000
	var largest int64
	for i := 1; i <= n; i++ {
		if err := st.AppendEvents([]EventRow{{ID: int64(i), Type: "text.delta", SessionID: "s", Line: line}}); err != nil {
			t.Fatal(err)
		}
		if i%200 == 0 {
			if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > largest {
				largest = fi.Size()
			}
		}
	}
	// Without checkpoints this log would hold at least one 4 KiB page per
	// commit: about 47 MiB.
	if limit := int64(24 << 20); largest > limit {
		t.Fatalf("the write-ahead log grew to %d bytes under steady writes (limit %d)", largest, limit)
	}
	t.Logf("largest write-ahead log: %.1f MiB", float64(largest)/(1<<20))
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var count, maxID int64
	if err := st.DB().QueryRow(`SELECT COUNT(*), MAX(id) FROM events`).Scan(&count, &maxID); err != nil {
		t.Fatal(err)
	}
	if count != n || maxID != n {
		t.Fatalf("after reopening: %d events, last id %d; want %d", count, maxID, n)
	}
	var ok string
	if err := st.DB().QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q %v", ok, err)
	}
}

// A checkpointer that never gets to run (here: stopped) still leaves a
// bounded log: the writer checkpoints in its own path once the log has
// outgrown walLimit.
func TestTheWriterBoundsTheLogWhenTheCheckpointerFallsBehind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	st, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.ckpt.stop()
	line := bytes.Repeat([]byte("x"), 900)
	var largest int64
	for i := 1; i <= 12000; i++ {
		if err := st.AppendEvents([]EventRow{{ID: int64(i), Type: "text.delta", SessionID: "s", Line: line}}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > largest {
			largest = fi.Size()
		}
	}
	// walLimit, and the frames of the checkRows writes before the writer looks.
	if limit := int64(walLimit + 4<<20); largest > limit {
		t.Fatalf("with no background checkpoints the write-ahead log grew to %d bytes (limit %d)", largest, limit)
	}
	if largest < walLimit/2 {
		t.Fatalf("the log peaked at %d bytes: the test wrote too little to reach the writer's own checkpoint", largest)
	}
	// A 3 MiB event is looked at on its own (checkBytes), not 256 events later.
	big := bytes.Repeat([]byte("y"), 3<<20)
	for i := 0; i < 8; i++ {
		if err := st.AppendEvents([]EventRow{{ID: int64(12001 + i), Type: "kontask", Line: big}}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > int64(walLimit+8<<20) {
			t.Fatalf("after %d events of 3 MiB the write-ahead log holds %d bytes", i+1, fi.Size())
		}
	}
}

// A failed batch leaves nothing behind and the next one is written.
func TestAppendEventsRollsBackAFailedBatch(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AppendEvents([]EventRow{{ID: 1, Type: "a", Line: []byte("{}")}}); err != nil {
		t.Fatal(err)
	}
	// Id 1 again: the primary key refuses the second row of this batch.
	err = st.AppendEvents([]EventRow{{ID: 2, Type: "a", Line: []byte("{}")}, {ID: 1, Type: "a", Line: []byte("{}")}})
	if err == nil {
		t.Fatal("a batch with a duplicate id was accepted")
	}
	if err := st.AppendEvents([]EventRow{{ID: 2, Type: "b", Line: []byte("{}")}, {ID: 3, Type: "b", Line: []byte("{}")}}); err != nil {
		t.Fatalf("the batch after a failed one: %v", err)
	}
	rows, err := st.EventsAfter(0, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range rows {
		got += fmt.Sprintf("%d%s ", r.ID, r.Type)
	}
	if got != "1a 2b 3b " {
		t.Fatalf("events after a failed batch: %q", got)
	}
}
