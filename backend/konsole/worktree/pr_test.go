package worktree

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeGH puts a stand-in gh first on PATH: it records its folder and
// arguments to a log, fails `auth status` while the file authfail exists
// next to it, and prints a pull request's URL for `pr create`. It returns
// the stand-in's folder.
func fakeGH(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\n" +
		"{ pwd; printf '%s\\0' \"$@\"; printf '\\036'; } >> '" + dir + "/log'\n" +
		"case \"$1\" in\n" +
		"auth) if [ -f '" + dir + "/authfail' ]; then echo 'You are not logged into any GitHub hosts.' >&2; exit 1; fi ;;\n" +
		"pr) echo 'Creating pull request for konui/x into main' >&2; echo 'https://github.com/acme/widgets/pull/7' ;;\n" +
		"esac\n"
	if err := os.WriteFile(filepath.Join(dir, "gh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

// ghCalls reads the stand-in's log: per call, its folder then its arguments.
func ghCalls(t *testing.T, dir string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "log"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var calls [][]string
	for _, rec := range strings.Split(strings.TrimSuffix(string(b), "\x1e"), "\x1e") {
		wd, args, _ := strings.Cut(rec, "\n")
		calls = append(calls, append([]string{wd}, strings.Split(strings.TrimSuffix(args, "\x00"), "\x00")...))
	}
	return calls
}

// withRemote makes a worktree of a repository whose origin is a bare
// repository; it returns the worktree and the bare repository.
func withRemote(t *testing.T, name string) (Worktree, string) {
	t.Helper()
	repo, w := added(t, map[string]string{"a.txt": "a\n"}, name)
	bare := filepath.Join(t.TempDir(), "origin.git")
	git(t, repo, "init", "-q", "--bare", bare)
	git(t, repo, "remote", "add", "origin", bare)
	git(t, repo, "push", "-q", "origin", "main")
	// The person added the remote: they accept the config as it is now.
	var err error
	if w.Trust, err = Fingerprint(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w, bare
}

func TestOpenPRPushesTheBranchAndRunsGHWithExactArguments(t *testing.T) {
	ctx := context.Background()
	dir := fakeGH(t)
	w, bare := withRemote(t, "x")
	if st := PRAvailable(ctx, w); !st.Available || st.Reason != "" {
		t.Fatalf("available %+v", st)
	}
	write(t, w.Path, "a.txt", "b\n")
	c, err := CommitAll(ctx, w, "change a")
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "log"))
	url, err := OpenPR(ctx, w, "  Change a\n", "Why:\n- because")
	if err != nil {
		t.Fatal(err)
	}
	if url != "https://github.com/acme/widgets/pull/7" {
		t.Fatalf("url %q", url)
	}
	if got := git(t, bare, "rev-parse", "refs/heads/konui/x"); got != c.SHA {
		t.Fatalf("the remote has konui/x at %s, want %s", got, c.SHA)
	}
	if up := git(t, w.Path, "rev-parse", "--abbrev-ref", "@{upstream}"); up != "origin/konui/x" {
		t.Fatalf("upstream %q", up)
	}
	want := [][]string{
		{"/", "auth", "status"},
		{w.Path, "pr", "create", "--base", "main", "--head", "konui/x", "--title=Change a", "--body=Why:\n- because"},
	}
	got := ghCalls(t, dir)
	if len(got) == 2 {
		got[0][0] = "/" // gh auth status runs wherever Konsole runs
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("gh calls\n%q\nwant\n%q", got, want)
	}
}

func TestPRUnavailableWithAReason(t *testing.T) {
	ctx := context.Background()
	w, _ := withRemote(t, "x")
	// No gh at all: PATH holds only git.
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	only := t.TempDir()
	if err := os.Symlink(gitPath, filepath.Join(only, "git")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", only)
	if st := PRAvailable(ctx, w); st.Available || !strings.Contains(st.Reason, "not installed") {
		t.Fatalf("without gh: %+v", st)
	}
	_, err = OpenPR(ctx, w, "t", "")
	code(t, err, CodeGHUnavailable)

	// gh is there but not logged in.
	dir := fakeGH(t)
	if err := os.WriteFile(filepath.Join(dir, "authfail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	st := PRAvailable(ctx, w)
	if st.Available || !strings.Contains(st.Reason, "not logged in") || !strings.Contains(st.Reason, "You are not logged into any GitHub hosts.") {
		t.Fatalf("logged out: %+v", st)
	}
	_, err = OpenPR(ctx, w, "t", "")
	code(t, err, CodeGHUnavailable)

	// Logged in, but the repository has no remote.
	os.Remove(filepath.Join(dir, "authfail"))
	git(t, w.Repo, "remote", "remove", "origin")
	w.Trust, _ = Fingerprint(ctx, w) // the person's own change
	if st := PRAvailable(ctx, w); st.Available || !strings.Contains(st.Reason, "has no remote") {
		t.Fatalf("no remote: %+v", st)
	}
	_, err = OpenPR(ctx, w, "t", "")
	code(t, err, CodeNoRemote)
}

func TestOpenPRRefusesOptionsAndWhatCannotBeAPullRequest(t *testing.T) {
	ctx := context.Background()
	dir := fakeGH(t)
	w, bare := withRemote(t, "x")
	for _, bad := range []Worktree{
		{Repo: w.Repo, Path: w.Path, Branch: "--force", Base: "main"},
		{Repo: w.Repo, Path: w.Path, Branch: "konui/x", Base: "-b"},
	} {
		_, err := OpenPR(ctx, bad, "t", "")
		code(t, err, CodeBadName)
	}
	_, err := OpenPR(ctx, w, " ", "")
	code(t, err, CodeBadName)
	// Nothing to open yet, then uncommitted files.
	_, err = OpenPR(ctx, w, "t", "")
	code(t, err, CodeNothing)
	write(t, w.Path, "a.txt", "b\n")
	_, err = OpenPR(ctx, w, "t", "")
	code(t, err, CodeDirty)
	if refs := git(t, bare, "for-each-ref", "--format=%(refname)"); refs != "refs/heads/main" {
		t.Fatalf("something was pushed: %q", refs)
	}
	for _, c := range ghCalls(t, dir) {
		if c[1] != "auth" {
			t.Fatalf("gh was run: %q", c)
		}
	}
	// A title that looks like an option stays the title's value.
	if _, err := CommitAll(ctx, w, "b"); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "log"))
	if _, err := OpenPR(ctx, w, "--web", "--fill"); err != nil {
		t.Fatal(err)
	}
	calls := ghCalls(t, dir)
	if last := calls[len(calls)-1][1:]; !reflect.DeepEqual(last, []string{"pr", "create", "--base", "main", "--head", "konui/x", "--title=--web", "--body=--fill"}) {
		t.Fatalf("gh pr create %q", last)
	}
}

func TestOpenPRSaysWhenThePushFails(t *testing.T) {
	ctx := context.Background()
	dir := fakeGH(t)
	w, _ := withRemote(t, "x")
	git(t, w.Repo, "remote", "set-url", "origin", filepath.Join(t.TempDir(), "gone.git"))
	w.Trust, _ = Fingerprint(ctx, w) // the person's own change
	write(t, w.Path, "a.txt", "b\n")
	if _, err := CommitAll(ctx, w, "b"); err != nil {
		t.Fatal(err)
	}
	_, err := OpenPR(ctx, w, "t", "")
	code(t, err, CodePushFailed)
	if !strings.Contains(err.Error(), "failed to push konui/x to origin") {
		t.Fatalf("message %q", err)
	}
	for _, c := range ghCalls(t, dir) {
		if c[1] == "pr" {
			t.Fatalf("gh pr create ran after a failed push: %q", c)
		}
	}
}
