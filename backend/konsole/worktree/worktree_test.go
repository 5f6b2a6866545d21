package worktree

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// newRepo makes a git repository with one commit on main holding files.
func newRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "config", "user.name", "Test")
	git(t, dir, "config", "user.email", "test@example.com")
	for p, s := range files {
		write(t, dir, p, s)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", "first")
	return dir
}

// locate is the repository of dir, as a session keeps it.
func locate(t *testing.T, dir string) Repository {
	t.Helper()
	r, err := Locate(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, dir, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != want {
		t.Fatalf("want error %s, got %v", want, err)
	}
}

func TestAddMakesABranchFromTheCurrentBranchUnderRoot(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t, map[string]string{"a.txt": "one\n"})
	root := t.TempDir()
	w, err := Add(ctx, AddOptions{Dir: repo, Root: root, Name: "Fix the Parser!"})
	if err != nil {
		t.Fatal(err)
	}
	if w.Branch != "konui/fix-the-parser" || w.Base != "main" || !strings.HasPrefix(w.Path, root) {
		t.Fatalf("worktree %+v", w)
	}
	if got := git(t, w.Path, "rev-parse", "--abbrev-ref", "HEAD"); got != "konui/fix-the-parser" {
		t.Fatalf("checked out %q", got)
	}
	_, err = Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "fix the parser"})
	code(t, err, CodeBranchTaken)
	_, err = Add(ctx, AddOptions{Dir: t.TempDir(), Root: root, Name: "x"})
	code(t, err, CodeNotRepo)
	_, err = Add(ctx, AddOptions{Dir: repo, Root: root, Name: "y", Branch: "--force"})
	code(t, err, CodeBadName)
	_, err = Add(ctx, AddOptions{Dir: repo, Root: root, Name: "z", Base: "-b"})
	code(t, err, CodeBadName)
	_, err = Add(ctx, AddOptions{Dir: repo, Root: root, Name: "z", Base: "nope"})
	code(t, err, CodeNotFound)
}

func TestLongTitlesKeepTheirUniqueTail(t *testing.T) {
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	root := t.TempDir()
	long := ShortName("Refactor the authentication module and its tests")
	for _, id := range []string{"aaaa1111", "bbbb2222"} {
		w, err := Add(context.Background(), AddOptions{Dir: repo, Root: root, Name: long + "-" + id})
		if err != nil {
			t.Fatal(err)
		}
		if w.Branch != "konui/refactor-the-authentication-mo-"+id {
			t.Fatalf("branch %q", w.Branch)
		}
	}
}

func TestListCountsCommittedUncommittedRenamedBinaryAndNewFiles(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t, map[string]string{"a.txt": "1\n2\n3\n", "b.txt": "b\n", "c.txt": "gone\n", "old.txt": "same\nsame\nsame\nsame\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w.Path, "a.txt", "1\ntwo\n3\n4\n")
	git(t, w.Path, "commit", "-qam", "edit a")
	os.Remove(filepath.Join(w.Path, "c.txt"))
	git(t, w.Path, "mv", "old.txt", "new.txt")
	write(t, w.Path, "bin.dat", "\x00\x01\x02")
	write(t, w.Path, "dir/new.go", "package x\n\nfunc f() {}")
	// The base moves on: that is not the session's change.
	write(t, repo, "b.txt", "b moved\n")
	git(t, repo, "commit", "-qam", "base moves")

	c, err := List(ctx, w.Git, w.Base)
	if err != nil {
		t.Fatal(err)
	}
	want := []File{
		{Path: "a.txt", Status: "modified", Additions: 2, Deletions: 1},
		{Path: "bin.dat", Status: "added", Binary: true},
		{Path: "c.txt", Status: "deleted", Deletions: 1},
		{Path: "dir/new.go", Status: "added", Additions: 3},
		{Path: "new.txt", OldPath: "old.txt", Status: "renamed"},
	}
	if !reflect.DeepEqual(c.Files, want) {
		t.Fatalf("files\n got %+v\nwant %+v", c.Files, want)
	}
	if c.Base != git(t, repo, "rev-parse", "main~1") || c.Head != git(t, w.Path, "rev-parse", "HEAD") {
		t.Fatalf("base %s head %s", c.Base, c.Head)
	}
	d, _, err := Diff(ctx, w.Git, w.Base, "a.txt", MaxDiffBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d, "-2\n+two\n 3\n+4\n") || !strings.HasPrefix(d, "diff --git a/a.txt b/a.txt") {
		t.Fatalf("diff of a.txt:\n%s", d)
	}
	d, _, _ = Diff(ctx, w.Git, w.Base, "dir/new.go", MaxDiffBytes)
	if !strings.Contains(d, "--- /dev/null\n+++ b/dir/new.go\n@@ -0,0 +1,3 @@\n+package x\n+\n+func f() {}\n") {
		t.Fatalf("diff of a new file:\n%s", d)
	}
	d, _, _ = Diff(ctx, w.Git, w.Base, "new.txt", MaxDiffBytes)
	if !strings.Contains(d, "rename from old.txt\nrename to new.txt") {
		t.Fatalf("diff of a rename:\n%s", d)
	}
	for _, bad := range []string{"../x", "/etc/passwd", "a/../../x"} {
		_, _, err := Diff(ctx, w.Git, w.Base, bad, MaxDiffBytes)
		code(t, err, CodeBadPath)
	}
	// A name that starts with "-" is a file's name (it goes after --).
	for _, unchanged := range []string{"b.txt", "-p"} {
		_, _, err = Diff(ctx, w.Git, w.Base, unchanged, MaxDiffBytes)
		code(t, err, CodeNotFound)
	}
	// What the user staged stays as it was.
	if got := git(t, w.Path, "status", "--porcelain"); !strings.Contains(got, "?? bin.dat") {
		t.Fatalf("listing changed the index:\n%s", got)
	}
}

func TestListWithoutABaseIsTheWorkingTreeAgainstHEAD(t *testing.T) {
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	if c, err := List(context.Background(), locate(t, repo), ""); err != nil || c.Files == nil {
		t.Fatalf("a clean checkout lists %#v, %v; want an empty list, not null", c.Files, err)
	}
	write(t, repo, "a.txt", "b\n")
	c, err := List(context.Background(), locate(t, repo), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 1 || c.Files[0] != (File{Path: "a.txt", Status: "modified", Additions: 1, Deletions: 1}) || c.Base != c.Head {
		t.Fatalf("changes %+v", c)
	}
	_, err = Locate(context.Background(), t.TempDir())
	code(t, err, CodeNotRepo)
	_, err = List(context.Background(), Repository{}, "")
	code(t, err, CodeNotRepo)
}

// A file rewritten at the same size within the second git wrote the index
// has the stat data the index holds for it (git compares whole seconds).
// Git tells such "racily clean" entries apart by the index file's own
// time, so the copy List stages into must keep that time: a copy made a
// second later said "no changes" (seen as a flaky pull-request e2e).
func TestListSeesASameSizeEditMadeInTheSecondTheIndexWasWritten(t *testing.T) {
	for try := 0; ; try++ {
		repo := newRepo(t, map[string]string{"a.txt": "one\n"})
		write(t, repo, "a.txt", "two\n")
		idx, err1 := os.Stat(filepath.Join(repo, ".git", "index"))
		file, err2 := os.Stat(filepath.Join(repo, "a.txt"))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if idx.ModTime().Unix() != file.ModTime().Unix() {
			if try == 5 {
				t.Fatal("the index and the edit never fell in the same second in 5 tries")
			}
			continue
		}
		// The copy is made in a later second than both.
		time.Sleep(time.Until(file.ModTime().Truncate(time.Second).Add(1100 * time.Millisecond)))
		c, err := List(context.Background(), locate(t, repo), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Files) != 1 || c.Files[0].Path != "a.txt" || c.Files[0].Status != "modified" {
			t.Fatalf("a same-size edit in the index's second lists %+v; want a.txt modified", c.Files)
		}
		return
	}
}

func TestCarryBringsUncommittedWorkOrRefusesWhenItDoesNotApply(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	git(t, repo, "checkout", "-q", "-b", "other")
	write(t, repo, "a.txt", "other\n")
	git(t, repo, "commit", "-qam", "other")
	git(t, repo, "checkout", "-q", "main")
	write(t, repo, "a.txt", "dirty\n")
	write(t, repo, "new.txt", "new\n")
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "carried", Carry: true})
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"a.txt": "dirty\n", "new.txt": "new\n"} {
		if b, _ := os.ReadFile(filepath.Join(w.Path, p)); string(b) != want {
			t.Fatalf("%s in the worktree = %q", p, b)
		}
	}
	if got := git(t, repo, "status", "--porcelain"); got != "M a.txt\n?? new.txt" {
		t.Fatalf("the repository lost its changes: %q", got)
	}
	root := t.TempDir()
	_, err = Add(ctx, AddOptions{Dir: repo, Root: root, Name: "clash", Base: "other", Carry: true})
	code(t, err, CodeDirty)
	if out := git(t, repo, "branch", "--list", "konui/clash"); out != "" {
		t.Fatal("a refused carry left its branch behind")
	}
	if entries, _ := os.ReadDir(filepath.Join(root, "worktrees")); len(entries) != 0 {
		t.Fatal("a refused carry left its worktree behind")
	}
}
