package worktree

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// hostile is a program a repository's config or hooks name: it notes
// that it ran in marker (and passes its input through, as a filter).
func hostile(t *testing.T) (program, marker string) {
	t.Helper()
	dir := t.TempDir()
	marker = filepath.Join(dir, "ran")
	program = filepath.Join(dir, "evil.sh")
	script := "#!/bin/sh\necho \"$0 $*\" >> '" + marker + "'\ncat\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, marker
}

// arm gives the repository whose git folder is gitDir every program git
// may run on a read, a checkout or a commit: fsmonitor, clean, smudge and
// process filters, an external diff, textconv, a pager, and hooks.
func arm(t *testing.T, gitDir, worktree, program string) {
	t.Helper()
	for k, v := range map[string]string{
		"core.fsmonitor": program, "filter.ev.clean": program, "filter.ev.smudge": program,
		"filter.pr.process": program, "diff.external": program, "diff.ev.textconv": program,
		"core.pager": program, "pager.diff": program, "log.showSignature": "true", "gpg.program": program,
		"core.sshCommand": program, "credential.helper": "!" + program,
	} {
		git(t, worktree, "config", "--file", filepath.Join(gitDir, "config"), k, v)
	}
	hooks := filepath.Join(gitDir, "hooks")
	os.MkdirAll(hooks, 0o755)
	for _, h := range []string{"post-checkout", "reference-transaction", "post-index-change", "pre-commit", "post-commit", "post-merge", "pre-push"} {
		os.WriteFile(filepath.Join(hooks, h), []byte("#!/bin/sh\nexec '"+program+"' hook "+h+"\n"), 0o755)
	}
	write(t, worktree, "info-attributes-are-read.txt", "")
	os.MkdirAll(filepath.Join(gitDir, "info"), 0o755)
	os.WriteFile(filepath.Join(gitDir, "info", "attributes"), []byte("* filter=ev diff=ev\n*.p filter=pr\n"), 0o644)
}

func noneRan(t *testing.T, marker, what string) {
	t.Helper()
	if b, err := os.ReadFile(marker); err == nil {
		t.Fatalf("%s ran programs the repository names:\n%s", what, b)
	}
}

// treeHash hashes every file under dir (path, mode, content) for a
// byte-for-byte comparison.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		rel, _ := filepath.Rel(dir, p)
		sum := ""
		if d.Type().IsRegular() {
			b, _ := os.ReadFile(p)
			h := sha256.Sum256(b)
			sum = hex.EncodeToString(h[:])
		}
		lines = append(lines, rel+" "+info.Mode().String()+" "+sum)
		return nil
	})
	sort.Strings(lines)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(h[:])
}

// Finding 2 and 4 of issue 25: a repository whose .git came from
// elsewhere names programs; the reads ran them (fsmonitor, filters,
// diff.external replacing the diff) and stored every changed file in the
// repository's objects. Now they run none and change no byte of .git.
func TestReadsRunNoProgramTheRepositoryNamesAndWriteNothingIntoIt(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo := newRepo(t, map[string]string{"a.txt": "one\n", ".gitattributes": "* filter=ev diff=ev\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	arm(t, filepath.Join(repo, ".git"), repo, program)
	write(t, w.Path, "a.txt", "two\n")
	write(t, w.Path, "new.p", "new\n")
	write(t, repo, "a.txt", "dirty in the repository\n")
	before := treeHash(t, filepath.Join(repo, ".git"))

	for _, r := range []struct {
		repo Repository
		base string
	}{{w.Git, w.Base}, {locate(t, repo), ""}} {
		c, err := List(ctx, r.repo, r.base)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Files) < 1 || c.Files[0].Path != "a.txt" {
			t.Fatalf("changes %+v", c)
		}
		d, _, err := Diff(ctx, r.repo, r.base, "a.txt", MaxDiffBytes)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(d, "-one\n") {
			t.Fatalf("the diff is not git's own:\n%s", d)
		}
		if _, err := Dirty(ctx, r.repo); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Unmerged(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := Check(ctx, w); err == nil {
		t.Fatal("Check saw nothing to lose")
	}
	noneRan(t, marker, "listing, diffing and checking")
	if after := treeHash(t, filepath.Join(repo, ".git")); after != before {
		t.Fatal("the reads changed the repository's .git")
	}
}

// Finding 2: worktree add ran post-checkout, reference-transaction,
// post-index-change, a smudge filter and fsmonitor.
func TestAddRunsNoHookFilterOrFsmonitor(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo := newRepo(t, map[string]string{"a.txt": "one\n", ".gitattributes": "* filter=ev\n"})
	arm(t, filepath.Join(repo, ".git"), repo, program)
	write(t, repo, "carried.txt", "new\n")
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s", Carry: true})
	if err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "worktree add with carry")
	if b, _ := os.ReadFile(filepath.Join(w.Path, "a.txt")); string(b) != "one\n" {
		t.Fatalf("a.txt in the worktree = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(w.Path, "carried.txt")); string(b) != "new\n" {
		t.Fatalf("carried.txt in the worktree = %q", b)
	}
	// The checkout's index is the branch's: nothing shows as changed.
	if got := git(t, w.Path, "-c", "core.fsmonitor=false", "-c", "filter.ev.clean=", "status", "--porcelain", "--untracked-files=no"); got != "" {
		t.Fatalf("the new worktree's index does not match its files: %q", got)
	}
	os.Remove(marker)
	// Commit is the person's action: the repository's hooks run, as git
	// commit would run them.
	write(t, w.Path, "b.txt", "b\n")
	if _, err := CommitAll(ctx, w, "b"); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(marker); err != nil || !strings.Contains(string(b), "hook pre-commit") {
		t.Fatalf("commit did not run the repository's pre-commit hook: %q", b)
	}
}

// Finding 1: a session's folder is a plain folder, or a subfolder of a
// repository; the agent writes HEAD, config (core.worktree = ., an
// fsmonitor), objects/ and refs/ there. git took that for a repository
// and ran the fsmonitor on the next listing.
func TestAFolderAnAgentMadeLookLikeARepositoryIsNeverRead(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	plain := t.TempDir()
	repo := newRepo(t, map[string]string{"pkg/a.go": "package a\n"})
	sub := filepath.Join(repo, "pkg")
	// Decided when the session is made, before the agent writes.
	_, plainErr := Locate(ctx, plain)
	code(t, plainErr, CodeNotRepo)
	subRepo := locate(t, sub)
	for _, dir := range []string{plain, sub} {
		os.MkdirAll(filepath.Join(dir, "objects"), 0o755)
		os.MkdirAll(filepath.Join(dir, "refs"), 0o755)
		write(t, dir, "HEAD", "4b825dc642cb6eb9a060e54bf8d69288fbee4904\n")
		write(t, dir, "config", "[core]\n\tbare = false\n\tworktree = .\n\tfsmonitor = "+program+"\n")
	}
	// What the person chose is still what is read.
	c, err := List(ctx, subRepo, "")
	if err != nil {
		t.Fatal(err)
	}
	if subRepo.WorkTree != repo || len(c.Files) != 2 || c.Files[0].Path != "pkg/HEAD" {
		t.Fatalf("the subfolder reads %+v: %+v", subRepo, c.Files)
	}
	// And Locate (the decision for a new session) never takes the layout.
	_, err = Locate(ctx, plain)
	code(t, err, CodeNotRepo)
	noneRan(t, marker, "reading a folder an agent made look like a repository")
}

// Finding 5: branch "@" passed check-ref-format; Discard's check ran
// `git log main..@`, which git reads as main..HEAD, and lost the commit.
func TestBranchAndBaseNamesGitReadsAsSomethingElseAreRefused(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	git(t, repo, "tag", "shadow")
	git(t, repo, "branch", "shadow")
	for _, name := range []string{"@", "HEAD", "@{-1}", "FETCH_HEAD", "ORIG_HEAD", "refs/heads/x", "shadow", "heads/main"} {
		_, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "n", Branch: name})
		code(t, err, CodeBadName)
		_, err = Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "n", Base: name})
		code(t, err, CodeBadName)
	}
	// A worktree kept from before, on branch "@": the check compares the
	// branches, refs/heads/main..refs/heads/@, and finds the commit.
	root := t.TempDir()
	w, err := Add(ctx, AddOptions{Dir: repo, Root: root, Name: "at", Branch: "at"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w.Path, "b.txt", "b\n")
	c, err := CommitAll(ctx, w, "the work")
	if err != nil {
		t.Fatal(err)
	}
	git(t, repo, "branch", "-m", "at", "@")
	w.Branch = "@"
	err = Discard(ctx, w, false)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnmerged || len(e.Commits) != 1 || e.Commits[0].SHA != c.SHA {
		t.Fatalf("discard of branch @ without confirm: %v", err)
	}
}

// Finding 6: a base branch with a committed symlink d -> /elsewhere and
// an untracked d/notes.txt in the repository; carry wrote
// /elsewhere/notes.txt.
func TestCarryWritesNothingThroughASymlinkedFolder(t *testing.T) {
	ctx := context.Background()
	elsewhere := t.TempDir()
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	git(t, repo, "checkout", "-q", "-b", "evilbase")
	if err := os.Symlink(elsewhere, filepath.Join(repo, "d")); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", "d")
	git(t, repo, "commit", "-qm", "a link")
	git(t, repo, "checkout", "-q", "main")
	write(t, repo, "d/notes.txt", "secret plans\n")
	_, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "c", Base: "evilbase", Carry: true})
	code(t, err, CodeDirty)
	if !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("the refusal does not say why: %v", err)
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("carry wrote outside the worktree: %v", entries)
	}
}
