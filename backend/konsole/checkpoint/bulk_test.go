package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Many files at once go through fast-import (bulkAdd): links stay links,
// the executable bit and the size bound hold, the index's stat data is
// filled (an unchanged folder is the same snapshot), and a rewind puts
// every file back.
func TestManyFilesAtOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for i := range 3 * bulkFiles {
		write(t, dir, fmt.Sprintf("d%d/f%d.txt", i%7, i), fmt.Sprintf("file %d\n", i), 0o644)
	}
	write(t, dir, "tool.sh", "#!/bin/sh\n", 0o755)
	write(t, dir, "big.bin", strings.Repeat("b", 5000), 0o644)
	if err := os.Symlink("d0/f0.txt", filepath.Join(dir, "ln")); err != nil {
		t.Fatal(err)
	}
	before := state(t, dir)
	s := newStore(t, 4096)
	first := take(t, s, dir, "t1.start")
	if len(first.Skipped) != 1 || first.Skipped[0].Path != "big.bin" {
		t.Errorf("skipped: %+v", first.Skipped)
	}
	if again := take(t, s, dir, "again"); again.ID == first.ID {
		t.Errorf("a folder with a file over the bound gave the same snapshot twice (the file is listed each time): %s", again.ID)
	}
	for i := range 3 * bulkFiles {
		write(t, dir, fmt.Sprintf("d%d/f%d.txt", i%7, i), fmt.Sprintf("changed %d\n", i), 0o600)
	}
	os.Remove(filepath.Join(dir, "ln"))
	write(t, dir, "ln", "not a link\n", 0o644)
	write(t, dir, "tool.sh", "#!/bin/sh\n", 0o644)
	take(t, s, dir, "t1.end")
	plan, err := s.Rewind(ctx, "s1", dir, []Turn{{Start: "t1.start", End: "t1.end"}}, RewindOptions{Record: r1})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 3*bulkFiles+2 {
		t.Errorf("the plan has %d files, want %d", len(plan.Files), 3*bulkFiles+2)
	}
	want := before
	for i := range 3 * bulkFiles { // a private file stays private
		p := fmt.Sprintf("d%d/f%d.txt", i%7, i)
		want[p] = strings.Replace(want[p], "file 644", "file 600", 1)
	}
	sameState(t, "the folder after the rewind", state(t, dir), want)
}

// After the first snapshot of many files, an unchanged folder is the
// same snapshot: bulkAdd left the index's stat data filled in.
func TestManyFilesThenUnchanged(t *testing.T) {
	dir := t.TempDir()
	for i := range 2 * bulkFiles {
		write(t, dir, fmt.Sprintf("f%d.txt", i), fmt.Sprintf("file %d\n", i), 0o644)
	}
	s := newStore(t, 0)
	one := take(t, s, dir, "t1.start")
	two := take(t, s, dir, "t1.end")
	if one.ID != two.ID {
		t.Errorf("an unchanged folder gave two snapshots: %s, %s", one.ID, two.ID)
	}
}

// Begin, End and RewindTo keep the order of turns and rewinds in the
// journal: a rewind to the second prompt puts back what the second and
// third turns did, tells a change made between turns, and a second
// rewind does not take the first for a change from outside.
func TestJournalOfTurnsAndRewinds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newStore(t, 0)
	turn := func(key string, do func()) {
		t.Helper()
		if _, err := s.Begin(ctx, "s1", dir, key); err != nil {
			t.Fatal(err)
		}
		do()
		if _, err := s.End(ctx, "s1", dir, key); err != nil {
			t.Fatal(err)
		}
	}
	turn("one", func() { write(t, dir, "a.txt", "a1\n", 0o644) })
	atTwo := state(t, dir)
	turn("two", func() { write(t, dir, "a.txt", "a2\n", 0o644) })
	write(t, dir, "hand.txt", "by hand\n", 0o644)
	turn("three", func() { write(t, dir, "b.txt", "b3\n", 0o644) })
	if _, err := s.RewindTo(ctx, "s1", dir, "nope", nil, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("a rewind to an unknown turn: %v", err)
	}
	plan, err := s.RewindTo(ctx, "s1", dir, "two", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	got := files(plan)
	if len(plan.Files) != 3 || !got["hand.txt"].ChangedOutside || got["hand.txt"].Restored || !got["a.txt"].Restored || !got["b.txt"].Restored {
		t.Errorf("the rewind: %+v", plan.Files)
	}
	want := atTwo
	want["hand.txt"] = state(t, dir)["hand.txt"]
	sameState(t, "the folder after the rewind", state(t, dir), want)
	// The rewind is in the journal: rewinding again changes nothing and
	// still names the file changed by hand.
	plan, err = s.RewindTo(ctx, "s1", dir, "two", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 1 || plan.Files[0].Path != "hand.txt" || !plan.Files[0].ChangedOutside {
		t.Errorf("the second rewind's plan: %+v", plan.Files)
	}
	keys, _ := s.journal("s1")
	if len(keys) != 4 || keys[3][:7] != "rewind-" {
		t.Errorf("journal: %v", keys)
	}
}
