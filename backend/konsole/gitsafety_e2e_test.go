package konsole_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// hostileProgram is a program a repository's config or an agent-written
// file names: it notes in marker that it ran.
func hostileProgram(t *testing.T) (program, marker string) {
	t.Helper()
	dir := t.TempDir()
	marker = filepath.Join(dir, "ran")
	program = filepath.Join(dir, "evil.sh")
	if err := os.WriteFile(program, []byte("#!/bin/sh\necho \"$0 $*\" >> '"+marker+"'\ncat\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, marker
}

// armRepo names program everywhere git may run one on a read or a
// checkout: fsmonitor, filters, external diff, textconv, pager, hooks.
func armRepo(t *testing.T, repo, program string) {
	t.Helper()
	for k, v := range map[string]string{"core.fsmonitor": program, "filter.ev.clean": program, "filter.ev.smudge": program,
		"diff.external": program, "diff.ev.textconv": program, "core.pager": program} {
		run(t, repo, "config", k, v)
	}
	if err := os.WriteFile(filepath.Join(repo, ".git", "info", "attributes"), []byte("* filter=ev diff=ev\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"post-checkout", "reference-transaction", "post-index-change"} {
		if err := os.WriteFile(filepath.Join(repo, ".git", "hooks", h), []byte("#!/bin/sh\nexec '"+program+"' hook "+h+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func nothingRan(t *testing.T, marker, what string) {
	t.Helper()
	if b, err := os.ReadFile(marker); err == nil {
		t.Fatalf("%s ran programs named by the repository or the agent:\n%s", what, b)
	}
}

// hashTree hashes every file under dir: path, mode and content.
func hashTree(t *testing.T, dir string) string {
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

// bareLayout is what an edit-only agent writes to make git take a folder
// for a repository: HEAD (the empty tree), config with an fsmonitor,
// objects/ and refs/.
func bareLayout(t *testing.T, dir, program string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "objects"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "refs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "HEAD"), []byte("4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte("[core]\n\tbare = false\n\tworktree = .\n\tfsmonitor = "+program+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Issue 25, finding 1: in a plain folder, or a subfolder of a repository,
// an edit-only agent writes HEAD, config, objects/ and refs/; the next
// GET /changes ran the config's fsmonitor as the Konsole user.
func TestChangesNeverRunAProgramAnAgentWroteIntoAFolder(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	program, marker := hostileProgram(t)
	plain := h.CreateSession()
	bareLayout(t, h.Work, program)
	if status, r := h.Do("GET", "/v1/sessions/"+plain+"/changes", nil); status == http.StatusOK {
		t.Fatalf("a plain folder the agent wrote a bare layout into answers as a repository: %v", r)
	}
	nothingRan(t, marker, "changes of a plain folder")
	// The same layout as .git (a repository git discovers without any
	// safe.bareRepository question) is not read either: the folder was
	// no repository when the session was made.
	if err := os.MkdirAll(filepath.Join(h.Work, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	bareLayout(t, filepath.Join(h.Work, ".git"), program)
	if err := os.WriteFile(filepath.Join(h.Work, ".git", "config"), []byte("[core]\n\tfsmonitor = "+program+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Work, "notes.txt"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/changes", "/changes/diff?path=notes.txt"} {
		if status, r := h.Do("GET", "/v1/sessions/"+plain+p, nil); status != http.StatusBadRequest || r["code"] != "not_a_repository" {
			t.Fatalf("%s of a plain folder the agent wrote a .git into: %d %v", p, status, r)
		}
	}
	nothingRan(t, marker, "changes of a plain folder with an agent-written .git")

	repo := t.TempDir()
	if err := os.MkdirAll(filepath.Join(repo, "pkg"), 0o755); err != nil {
		t.Fatal(err)
	}
	gitRepo(t, repo, map[string]string{"pkg/a.go": "package a\n"})
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": filepath.Join(repo, "pkg")})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	bareLayout(t, filepath.Join(repo, "pkg"), program)
	status, c := h.Do("GET", "/v1/sessions/"+s["id"].(string)+"/changes", nil)
	nothingRan(t, marker, "changes of a subfolder of a repository")
	if status != http.StatusOK || len(c["files"].([]any)) != 2 {
		t.Fatalf("changes of the subfolder: %d %v", status, c)
	}
}

// Issue 25, findings 2 and 4: a repository whose .git came from elsewhere
// names programs; changes and changes/diff ran fsmonitor, filters and
// diff.external (whose output replaced the diff), worktree add ran hooks
// and a smudge filter, and every listing stored the changed files in the
// repository's objects. Now none runs and .git stays byte for byte.
func TestChangesAndWorktreesRunNoProgramOfTheRepositoryAndWriteNothingIntoIt(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	program, marker := hostileProgram(t)
	gitRepo(t, h.Work, map[string]string{"a.txt": "one\n"})
	armRepo(t, h.Work, program)
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": true})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	nothingRan(t, marker, "worktree add")
	wt := s["id"].(string)
	if err := os.WriteFile(filepath.Join(s["cwd"].(string), "a.txt"), bytes.Repeat([]byte("two\n"), 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := h.CreateSession()
	if err := os.WriteFile(filepath.Join(h.Work, "a.txt"), []byte("three\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Work, "new.txt"), []byte("new\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := hashTree(t, filepath.Join(h.Work, ".git"))
	for range 3 {
		for _, sid := range []string{wt, plain} {
			if got := changes(t, h, sid); len(got) == 0 {
				t.Fatalf("no changes listed for %s", sid)
			}
			status, d := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path=a.txt", nil)
			if status != http.StatusOK || !strings.Contains(d["diff"].(string), "-one\n") || d["truncated"] != false {
				t.Fatalf("diff: %d %v", status, d)
			}
		}
	}
	nothingRan(t, marker, "changes and changes/diff")
	if hashTree(t, filepath.Join(h.Work, ".git")) != before {
		t.Fatal("changes and changes/diff wrote into the repository's .git")
	}
}

// Issue 25, finding 5: branch "@" was accepted, and discard without
// confirm lost its commit (git log main..@ is main..HEAD).
func TestABranchOrBaseGitReadsAsAnotherRefIsBadName(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	for _, bad := range []map[string]any{{"branch": "@"}, {"branch": "HEAD"}, {"branch": "FETCH_HEAD"}, {"base": "@"}, {"base": "HEAD"}, {"base": "@{-1}"}} {
		status, r := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": bad})
		if status != http.StatusBadRequest || r["code"] != "bad_name" {
			t.Fatalf("worktree %v: %d %v", bad, status, r)
		}
	}
}

// Issue 25, finding 6: a base branch with a committed symlink
// d -> /elsewhere and an untracked d/notes.txt: carry wrote
// /elsewhere/notes.txt.
func TestCarryWritesNothingOutsideTheWorktree(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	elsewhere := t.TempDir()
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	run(t, h.Work, "checkout", "-q", "-b", "evilbase")
	if err := os.Symlink(elsewhere, filepath.Join(h.Work, "d")); err != nil {
		t.Fatal(err)
	}
	run(t, h.Work, "add", "d")
	run(t, h.Work, "commit", "-qm", "link")
	run(t, h.Work, "checkout", "-q", "main")
	if err := os.MkdirAll(filepath.Join(h.Work, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.Work, "d", "notes.txt"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, r := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": map[string]any{"base": "evilbase", "carry": true}})
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Fatalf("carry wrote outside the worktree (%d %v): %v", status, r, entries)
	}
	if status != http.StatusConflict || r["code"] != "dirty" {
		t.Fatalf("carry through a symlink: %d %v", status, r)
	}
}

// Issue 25, finding 4: a diff over 8 MiB comes back cut, and says so.
func TestADiffOverTheBudgetIsCutAndSaysSo(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	sid := h.CreateSession()
	line := strings.Repeat("x", 99) + "\n"
	// 10 MB
	if err := os.WriteFile(filepath.Join(h.Work, "big.txt"), []byte(strings.Repeat(line, 100_000)), 0o644); err != nil {
		t.Fatal(err)
	}
	status, d := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path=big.txt", nil)
	if status != http.StatusOK || d["truncated"] != true {
		t.Fatalf("a 10 MB diff: %d truncated=%v", status, d["truncated"])
	}
	diff := d["diff"].(string)
	if len(diff) > 8<<20 || len(diff) < 8<<20-200 || !strings.HasPrefix(diff, "diff --git a/big.txt b/big.txt") {
		t.Fatalf("the cut diff is %d bytes, want just under 8 MiB", len(diff))
	}
	status, d = h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path=a.txt", nil)
	if status != http.StatusNotFound {
		t.Fatalf("an unchanged file: %d %v", status, d)
	}
	if err := os.WriteFile(filepath.Join(h.Work, "a.txt"), []byte("b \"quoted\" <tag> \x01 \xff\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, d = h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path=a.txt", nil)
	if status != http.StatusOK || d["truncated"] != false || !strings.Contains(d["diff"].(string), "+b \"quoted\" <tag> \x01 \ufffd\n") {
		t.Fatalf("a small diff: %d %q", status, d)
	}
}

// rss is this process's resident set in bytes (Konsole runs in it).
func rss(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if kb, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// Issue 25, finding 4: diffing a 100 MB text file took Konsole to 566 MB
// and three at once to 1.26 GB. Now three at once grow its resident set
// by less than 64 MiB, and it falls back. The answers are read and thrown
// away as they come, so the test's own client holds nothing.
func TestThreeDiffsOf100MBFilesAtOnceStayWithinTheMemoryBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and diffs 300 MB")
	}
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	sid := h.CreateSession()
	line := []byte(strings.Repeat("y", 99) + "\n")
	for i := range 3 {
		f, err := os.Create(filepath.Join(h.Work, "big"+strconv.Itoa(i)+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for range 1_000_000 {
			w.Write(line)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	base := rss(t)
	var peak int64
	done := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			if r := rss(t); r > peak {
				peak = r
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan string, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", h.URL+"/v1/sessions/"+sid+"/changes/diff?path="+url.QueryEscape("big"+strconv.Itoa(i)+".txt"), nil)
			req.Header.Set("Authorization", "Bearer "+h.Token)
			resp, err := h.Client.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			tail := &tailWriter{}
			n, _ := io.Copy(tail, resp.Body)
			if resp.StatusCode != http.StatusOK || n < 8<<20 || !bytes.HasSuffix(tail.b, []byte(`","truncated":true}`+"\n")) {
				errs <- "diff " + strconv.Itoa(i) + ": " + resp.Status + ", " + strconv.FormatInt(n, 10) + " bytes, ends " + string(tail.b)
			}
		}()
	}
	wg.Wait()
	close(done)
	sampler.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	after := rss(t)
	t.Logf("Konsole's resident set: %d MiB before, %d MiB at the peak of three diffs of 100 MB files at once (+%d MiB), %d MiB after",
		base>>20, peak>>20, (peak-base)>>20, after>>20)
	if peak-base >= 64<<20 {
		t.Fatalf("three diffs at once grew the resident set by %d MiB, want < 64", (peak-base)>>20)
	}
	if after-base >= 64<<20 {
		t.Fatalf("the resident set stayed %d MiB up", (after-base)>>20)
	}
}

// tailWriter keeps the last 64 bytes written to it.
type tailWriter struct{ b []byte }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > 64 {
		w.b = append([]byte(nil), w.b[len(w.b)-64:]...)
	}
	return len(p), nil
}

// An agent in acceptEdits at the top of a repository writes
// .git/hooks/pre-commit; the person's Commit button in a worktree
// session of that repository ran it. Now commit answers 409
// repository_changed while the hooks or config differ from when the
// session was made, and runs them once the person confirms (which the
// session keeps: the next commit does not ask again).
func TestCommitRefusesAHookWrittenSinceTheSessionStartedUntilConfirmed(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	program, marker := hostileProgram(t)
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": true})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	sid, wt := s["id"].(string), s["cwd"].(string)
	hook := filepath.Join(h.Work, ".git", "hooks", "pre-commit")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexec '"+program+"' hook pre-commit\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wt, "b.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/worktree/commit", "/worktree/merge"} {
		status, r := h.Do("POST", "/v1/sessions/"+sid+p, map[string]any{"message": "b"})
		if status != http.StatusConflict || r["code"] != "repository_changed" {
			t.Fatalf("%s after an agent wrote a hook: %d %v", p, status, r)
		}
	}
	nothingRan(t, marker, "commit and merge after an agent wrote a hook")
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/worktree/commit", map[string]any{"message": "b", "confirm": true})
	if status != http.StatusOK {
		t.Fatalf("confirmed commit: %d %v", status, r)
	}
	if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "hook pre-commit") {
		t.Fatalf("the confirmed commit did not run the hook: %q", b)
	}
	if err := os.WriteFile(filepath.Join(wt, "c.txt"), []byte("c\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/worktree/commit", map[string]any{"message": "c"}); status != http.StatusOK {
		t.Fatalf("a commit after the confirmed one: %d %v", status, r)
	}
}
