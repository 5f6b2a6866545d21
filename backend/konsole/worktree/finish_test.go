package worktree

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func added(t *testing.T, files map[string]string, name string) (string, Worktree) {
	t.Helper()
	repo := newRepo(t, files)
	w, err := Add(context.Background(), AddOptions{Dir: repo, Root: t.TempDir(), Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return repo, w
}

func TestMergeFastForwardsTheCheckedOutBase(t *testing.T) {
	ctx := context.Background()
	repo, w := added(t, map[string]string{"a.txt": "a\n"}, "ff")
	write(t, w.Path, "a.txt", "b\n")
	c, err := CommitAll(ctx, w, "change a\n\nbody")
	if err != nil || c.Subject != "change a" {
		t.Fatal(c, err)
	}
	_, err = CommitAll(ctx, w, "again")
	code(t, err, CodeNothing)
	r, err := Merge(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if r.Result != "fast-forward" || r.Head != c.SHA || git(t, repo, "rev-parse", "main") != c.SHA {
		t.Fatalf("merge %+v, main at %s", r, git(t, repo, "rev-parse", "main"))
	}
	if b, _ := os.ReadFile(filepath.Join(repo, "a.txt")); string(b) != "b\n" {
		t.Fatalf("the base checkout was not brought along: %q", b)
	}
	if r, err := Merge(ctx, w); err != nil || r.Result != "up-to-date" {
		t.Fatal(r, err)
	}
}

func TestMergeWritesAMergeCommitWhenTheBaseMoved(t *testing.T) {
	ctx := context.Background()
	repo, w := added(t, map[string]string{"a.txt": "a\n", "b.txt": "b\n"}, "mc")
	write(t, w.Path, "a.txt", "a2\n")
	if _, err := CommitAll(ctx, w, "a2"); err != nil {
		t.Fatal(err)
	}
	write(t, repo, "b.txt", "b2\n")
	git(t, repo, "commit", "-qam", "b2")
	r, err := Merge(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	if r.Result != "merge-commit" || git(t, repo, "rev-parse", "main") != r.Head {
		t.Fatalf("merge %+v", r)
	}
	if p := git(t, repo, "log", "-1", "--format=%P %s", "main"); p != git(t, repo, "rev-parse", "main~1")+" "+git(t, repo, "rev-parse", "konui/mc")+" Merge branch 'konui/mc' into main" {
		t.Fatalf("merge commit %q", p)
	}
	if b, _ := os.ReadFile(filepath.Join(repo, "a.txt")); string(b) != "a2\n" {
		t.Fatalf("a.txt in the base checkout %q", b)
	}
}

func TestAConflictingMergeChangesNothingAndNamesTheFiles(t *testing.T) {
	ctx := context.Background()
	repo, w := added(t, map[string]string{"a.txt": "a\n", "b.txt": "b\n"}, "cf")
	write(t, w.Path, "a.txt", "mine\n")
	write(t, w.Path, "b.txt", "mine\n")
	if _, err := CommitAll(ctx, w, "mine"); err != nil {
		t.Fatal(err)
	}
	write(t, repo, "a.txt", "theirs\n")
	git(t, repo, "commit", "-qam", "theirs")
	before := git(t, repo, "rev-parse", "main")
	_, err := Merge(ctx, w)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeConflict || !reflect.DeepEqual(e.Files, []string{"a.txt"}) {
		t.Fatalf("want a conflict in a.txt, got %v", err)
	}
	if git(t, repo, "rev-parse", "main") != before || git(t, repo, "status", "--porcelain") != "" || git(t, w.Path, "status", "--porcelain") != "" {
		t.Fatal("a conflicting merge changed something")
	}
	// A dirty base checkout is refused the same way, before anything moves.
	git(t, repo, "reset", "-q", "--hard", "main~1")
	write(t, repo, "b.txt", "dirty\n")
	before = git(t, repo, "rev-parse", "main")
	_, err = Merge(ctx, w)
	code(t, err, CodeDirty)
	if git(t, repo, "rev-parse", "main") != before || git(t, repo, "status", "--porcelain") != "M b.txt" {
		t.Fatal("a refused merge changed the base")
	}
}

func TestDiscardNamesUnmergedCommitsThenRemovesWorktreeAndBranch(t *testing.T) {
	ctx := context.Background()
	repo, w := added(t, map[string]string{"a.txt": "a\n"}, "dc")
	write(t, w.Path, "a.txt", "x\n")
	c, _ := CommitAll(ctx, w, "keep me?")
	err := Discard(ctx, w, false)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnmerged || len(e.Commits) != 1 || e.Commits[0] != c {
		t.Fatalf("want the unmerged commit named, got %v", err)
	}
	if err := Discard(ctx, w, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(w.Path); !os.IsNotExist(err) {
		t.Fatal("the worktree folder is still there")
	}
	if out := git(t, repo, "branch", "--list", "konui/dc"); out != "" {
		t.Fatalf("the branch is still there: %q", out)
	}
	// Nothing unmerged: no confirmation needed.
	_, w2 := added(t, map[string]string{"a.txt": "a\n"}, "clean")
	if err := Discard(ctx, w2, false); err != nil {
		t.Fatal(err)
	}
}
