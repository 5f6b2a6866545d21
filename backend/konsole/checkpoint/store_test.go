package checkpoint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// state is a folder as bytes: every path (links not followed) with its
// kind, permission and content or link target.
func state(t *testing.T, dir string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		for _, s := range skip {
			if rel == s {
				return filepath.SkipDir
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case fi.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(b)
			out[rel] = fmt.Sprintf("file %o %s", fi.Mode().Perm(), hex.EncodeToString(h[:]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameState(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		if got[p] != w {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want %q", p, got[p], w))
		}
	}
	for p, g := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, want nothing", p, g))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s:\n%s", what, strings.Join(diffs, "\n"))
	}
}

func write(t *testing.T, dir, rel, body string, perm os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// r1 names the snapshots around a test's first rewind.
var r1 = Turn{Start: "r1.start", End: "r1.end"}

func newStore(t *testing.T, maxFile int64) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "checkpoints"), maxFile)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func take(t *testing.T, s *Store, folder, name string) Snapshot {
	t.Helper()
	snap, err := s.Take(context.Background(), "s1", folder, name)
	if err != nil {
		t.Fatalf("take %s: %v", name, err)
	}
	return snap
}

func files(p Plan) map[string]File {
	m := map[string]File{}
	for _, f := range p.Files {
		m[f.Path] = f
	}
	return m
}

// A rewind puts back every file's bytes, kind and executable bit:
// edited, deleted, made, a folder turned into a link, a link retargeted,
// a binary file; a dry run changes nothing.
func TestRewindRestoresEveryFileByteForByte(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "a.txt", "one\ntwo\nthree\n", 0o644)
	write(t, dir, "src/b.go", "package b\n", 0o644)
	write(t, dir, "src/deep/c.txt", "c\n", 0o644)
	write(t, dir, "run.sh", "#!/bin/sh\necho hi\n", 0o755)
	write(t, dir, "secret.env", "TOKEN=1\n", 0o600)
	write(t, dir, "bin.dat", "\x00\x01\x02binary\x00", 0o644)
	write(t, dir, "crlf.txt", "line\r\nline\r\n", 0o644)
	if err := os.Symlink("a.txt", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	before := state(t, dir)
	s := newStore(t, 0)
	take(t, s, dir, "t1.start")

	// What an agent's turn does.
	write(t, dir, "a.txt", "one\n2\nthree\nfour\n", 0o644)
	os.Remove(filepath.Join(dir, "src", "b.go"))
	os.RemoveAll(filepath.Join(dir, "src", "deep"))
	outside := t.TempDir()
	write(t, outside, "c.txt", "outside\n", 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "src", "deep")); err != nil { // a folder became a link out
		t.Fatal(err)
	}
	write(t, dir, "new/made.txt", "made\n", 0o644)
	write(t, dir, "run.sh", "#!/bin/sh\necho hi\n", 0o644)
	write(t, dir, "secret.env", "TOKEN=2\n", 0o600)
	write(t, dir, "bin.dat", "\x00\x03", 0o644)
	write(t, dir, "crlf.txt", "line\nline\n", 0o644)
	os.Remove(filepath.Join(dir, "link"))
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	take(t, s, dir, "t1.end")
	changed := state(t, dir)
	outsideBefore := state(t, outside)

	turns := []Turn{{Start: "t1.start", End: "t1.end"}}
	plan, err := s.Rewind(ctx, "s1", dir, turns, RewindOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	sameState(t, "a dry run changed the folder", state(t, dir), changed)
	got := files(plan)
	for p, want := range map[string]string{"a.txt": Modified, "src/b.go": Deleted, "src/deep/c.txt": Deleted, "src/deep": Added,
		"new/made.txt": Added, "run.sh": Modified, "secret.env": Modified, "bin.dat": Modified, "crlf.txt": Modified, "link": Modified} {
		if got[p].Status != want || got[p].ChangedOutside || got[p].Restored {
			t.Errorf("%s in the dry run: %+v, want %s", p, got[p], want)
		}
	}
	if a := got["a.txt"]; a.Insertions != 2 || a.Deletions != 1 {
		t.Errorf("a.txt counts from the snapshot to now: +%d -%d, want +2 -1", a.Insertions, a.Deletions)
	}
	if len(plan.Files) != 10 {
		t.Errorf("the plan has %d files, want 10: %+v", len(plan.Files), plan.Files)
	}

	plan, err = s.Rewind(ctx, "s1", dir, turns, RewindOptions{Record: r1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range plan.Files {
		if !f.Restored {
			t.Errorf("%s not restored", f.Path)
		}
	}
	sameState(t, "the folder after the rewind", state(t, dir), before)
	sameState(t, "the folder a link pointed at", state(t, outside), outsideBefore)
}

// A file that was a link out of the folder in the snapshot's place is
// replaced, never written through; and a link the agent put where a
// file was does not carry the restored bytes out.
func TestRewindNeverWritesThroughALink(t *testing.T) {
	ctx := context.Background()
	dir, outside := t.TempDir(), t.TempDir()
	write(t, dir, "lib/x.txt", "mine\n", 0o644)
	write(t, dir, "f.txt", "file\n", 0o644)
	write(t, outside, "x.txt", "theirs\n", 0o644)
	write(t, outside, "target.txt", "target\n", 0o644)
	before, outsideBefore := state(t, dir), state(t, outside)
	s := newStore(t, 0)
	take(t, s, dir, "t1.start")
	os.RemoveAll(filepath.Join(dir, "lib"))
	if err := os.Symlink(outside, filepath.Join(dir, "lib")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "f.txt"))
	if err := os.Symlink(filepath.Join(outside, "target.txt"), filepath.Join(dir, "f.txt")); err != nil {
		t.Fatal(err)
	}
	take(t, s, dir, "t1.end")
	if _, err := s.Rewind(ctx, "s1", dir, []Turn{{Start: "t1.start", End: "t1.end"}}, RewindOptions{Record: r1}); err != nil {
		t.Fatal(err)
	}
	sameState(t, "the folder after the rewind", state(t, dir), before)
	sameState(t, "the folder outside", state(t, outside), outsideBefore)
}

// Files someone else changed after the prompt (between a turn's end and
// the next prompt, or after the last turn) are reported and left alone,
// unless overwrite names them; what the agent changed is put back.
func TestChangedOutsideIsLeftAloneUnlessOverwritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, f := range []string{"agent1", "person1", "agent2", "person2"} {
		write(t, dir, f+".txt", "before\n", 0o644)
	}
	before := state(t, dir)
	s := newStore(t, 0)
	take(t, s, dir, "t1.start")
	write(t, dir, "agent1.txt", "agent\n", 0o644)
	take(t, s, dir, "t1.end")
	write(t, dir, "person1.txt", "person\n", 0o644)
	take(t, s, dir, "t2.start")
	write(t, dir, "agent2.txt", "agent\n", 0o644)
	take(t, s, dir, "t2.end")
	write(t, dir, "person2.txt", "person\n", 0o644)
	turns := []Turn{{Start: "t1.start", End: "t1.end"}, {Start: "t2.start", End: "t2.end"}}

	plan, err := s.Rewind(ctx, "s1", dir, turns, RewindOptions{Record: r1})
	if err != nil {
		t.Fatal(err)
	}
	got := files(plan)
	for p, out := range map[string]bool{"agent1.txt": false, "person1.txt": true, "agent2.txt": false, "person2.txt": true} {
		if got[p].ChangedOutside != out || got[p].Restored == out {
			t.Errorf("%s: %+v, want changedOutside %v", p, got[p], out)
		}
	}
	want := state(t, dir)
	for _, p := range []string{"agent1.txt", "agent2.txt"} {
		want[p] = before[p]
	}
	sameState(t, "the folder after the rewind", state(t, dir), want)
	for _, p := range []string{"person1.txt", "person2.txt"} {
		if b, _ := os.ReadFile(filepath.Join(dir, p)); string(b) != "person\n" {
			t.Errorf("%s was changed: %q", p, b)
		}
	}

	// The rewind itself is no change from outside: rewinding again with
	// person1 named puts back that file only.
	turns = append(turns, r1)
	plan, err = s.Rewind(ctx, "s1", dir, turns, RewindOptions{Overwrite: []string{"person1.txt"}, Record: Turn{Start: "r2.start", End: "r2.end"}})
	if err != nil {
		t.Fatal(err)
	}
	got = files(plan)
	if len(plan.Files) != 2 || !got["person1.txt"].Restored || !got["person1.txt"].ChangedOutside || got["person2.txt"].Restored {
		t.Errorf("the second rewind: %+v", plan.Files)
	}
	want["person1.txt"] = before["person1.txt"]
	sameState(t, "the folder after the second rewind", state(t, dir), want)
}

// .gitignore is honoured (an ignored file is neither kept nor touched),
// a file over the size bound is left out, reported, and left alone by a
// rewind whether it was there before or made since, and a repository the
// agent made inside the folder does not stop a snapshot.
func TestIgnoredBigAndNestedFilesAreLeftAlone(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, ".gitignore", "build/\n", 0o644)
	write(t, dir, "build/out.bin", "old build\n", 0o644)
	write(t, dir, "big-before.dat", strings.Repeat("x", 2048), 0o644)
	write(t, dir, "small.txt", "small\n", 0o644)
	s := newStore(t, 1024)
	first := take(t, s, dir, "t1.start")
	if len(first.Skipped) != 1 || first.Skipped[0] != (Skipped{Path: "big-before.dat", Size: 2048}) {
		t.Fatalf("skipped: %+v", first.Skipped)
	}
	write(t, dir, "build/out.bin", "new build\n", 0o644)
	write(t, dir, "big-before.dat", strings.Repeat("y", 4096), 0o644)
	write(t, dir, "big-made.dat", strings.Repeat("z", 4096), 0o644)
	write(t, dir, "small.txt", "changed\n", 0o644)
	gitIn(t, dir, "init", "-q", "nested") // no commit: git add would refuse it
	write(t, dir, "nested/inner.txt", "inner\n", 0o644)
	end := take(t, s, dir, "t1.end")
	if len(end.Nested) != 1 || end.Nested[0] != "nested" {
		t.Fatalf("nested: %+v", end.Nested)
	}
	changed := state(t, dir)
	plan, err := s.Rewind(ctx, "s1", dir, []Turn{{Start: "t1.start", End: "t1.end"}}, RewindOptions{Record: r1})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Files) != 1 || plan.Files[0].Path != "small.txt" {
		t.Errorf("the plan: %+v", plan.Files)
	}
	var skipped []string
	for _, sk := range plan.Skipped {
		skipped = append(skipped, sk.Path)
	}
	sort.Strings(skipped)
	if strings.Join(skipped, ",") != "big-before.dat,big-before.dat,big-made.dat" || len(plan.Nested) != 1 {
		t.Errorf("skipped %v, nested %v", skipped, plan.Nested)
	}
	want := changed
	want["small.txt"] = state(t, dir)["small.txt"]
	if b, _ := os.ReadFile(filepath.Join(dir, "small.txt")); string(b) != "small\n" {
		t.Errorf("small.txt: %q", b)
	}
	sameState(t, "the folder after the rewind", state(t, dir), want)
}

// Snapshots of a repository never run what it names (hooks, fsmonitor,
// clean and smudge filters, in it or in a repository nested in it),
// never convert line endings its attributes ask for, and write nothing
// into it.
func TestSnapshotsRunNothingTheRepositoryNames(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "ran")
	evil := filepath.Join(t.TempDir(), "evil.sh")
	write(t, filepath.Dir(evil), "evil.sh", "#!/bin/sh\necho \"$0 $*\" >> "+marker+"\ncat\n", 0o755)
	hostile := func(repo string) {
		gitIn(t, repo, "init", "-q")
		for k, v := range map[string]string{"core.fsmonitor": evil, "filter.evil.clean": evil, "filter.evil.smudge": evil,
			"filter.evil.process": evil, "filter.evil.required": "true", "core.autocrlf": "true", "diff.external": evil} {
			gitIn(t, repo, "config", k, v)
		}
		for _, h := range []string{"pre-commit", "post-checkout", "post-index-change", "reference-transaction"} {
			write(t, repo, ".git/hooks/"+h, "#!/bin/sh\necho hook >> "+marker+"\n", 0o755)
		}
		write(t, repo, ".gitattributes", "* filter=evil text eol=crlf diff=evil\n", 0o644)
	}
	hostile(dir)
	write(t, dir, "lf.txt", "one\ntwo\n", 0o644)
	write(t, dir, "crlf.txt", "one\r\ntwo\r\n", 0o644)
	write(t, dir, "sub/file.txt", "sub\n", 0o644)
	hostile(filepath.Join(dir, "sub"))
	gitDir := state(t, filepath.Join(dir, ".git"))
	before := state(t, dir, ".git", filepath.Join("sub", ".git"))

	s := newStore(t, 0)
	take(t, s, dir, "t1.start")
	write(t, dir, "lf.txt", "three\n", 0o644)
	write(t, dir, "crlf.txt", "x\r\n", 0o644)
	write(t, dir, "sub/file.txt", "changed\n", 0o644)
	write(t, dir, "added.txt", "added\n", 0o644)
	take(t, s, dir, "t1.end")
	if _, err := s.Rewind(ctx, "s1", dir, []Turn{{Start: "t1.start", End: "t1.end"}}, RewindOptions{Record: r1}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(marker); err == nil {
		t.Fatalf("a program the repository names ran:\n%s", b)
	}
	want := before
	want["sub/file.txt"] = state(t, dir, ".git", filepath.Join("sub", ".git"))["sub/file.txt"] // nested: not kept
	sameState(t, "the folder after the rewind", state(t, dir, ".git", filepath.Join("sub", ".git")), want)
	sameState(t, "the repository's .git", state(t, filepath.Join(dir, ".git")), gitDir)
}

// A snapshot with nothing changed since the last one is the same
// snapshot; the store goes with Remove, and Prune removes the stores of
// sessions that are gone.
func TestUnchangedSnapshotAndPruning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "a.txt", "a\n", 0o644)
	s := newStore(t, 0)
	one := take(t, s, dir, "t1.start")
	two := take(t, s, dir, "t1.end")
	if one.ID != two.ID || one.ID == "" {
		t.Errorf("an unchanged folder gave two snapshots: %s, %s", one.ID, two.ID)
	}
	got, err := s.Get(ctx, "s1", "t1.start")
	if err != nil || got.ID != one.ID {
		t.Errorf("get: %+v %v", got, err)
	}
	if _, err := s.Get(ctx, "s1", "t9.start"); !errors.Is(err, ErrNotFound) {
		t.Errorf("get of an unknown checkpoint: %v", err)
	}
	if _, err := s.Take(ctx, "s2", dir, "t1.start"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Take(ctx, "../x", dir, "t1.start"); err == nil {
		t.Error("a session id with a path in it was taken")
	}
	if err := s.Remove(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, "s1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the store of a removed session is still there: %v", err)
	}
	if err := s.Prune(ctx, func(id string) bool { return false }); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(s.dir); len(entries) != 0 {
		t.Errorf("prune left %d stores", len(entries))
	}
}

// Stats says what changed from each prompt to now.
func TestStatsFromEachPromptToNow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, dir, "a.txt", "1\n2\n3\n", 0o644)
	s := newStore(t, 0)
	take(t, s, dir, "t1.start")
	write(t, dir, "a.txt", "1\n2\n", 0o644)
	write(t, dir, "b.txt", "b\nb\n", 0o644)
	take(t, s, dir, "t2.start")
	write(t, dir, "c.txt", "c\n", 0o644)
	st, err := s.Stats(ctx, "s1", dir, []string{"t1.start", "t2.start"})
	if err != nil {
		t.Fatal(err)
	}
	if st[0] != (Stats{Changed: 3, Insertions: 3, Deletions: 1}) || st[1] != (Stats{Changed: 1, Insertions: 1}) {
		t.Errorf("stats: %+v", st)
	}
}
