package konsole_test

import (
	"fmt"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/sessions"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// gitRepo makes h.Work a repository with one commit of files on main.
func gitRepo(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	run(t, dir, "init", "-q", "-b", "main")
	run(t, dir, "config", "user.name", "Test")
	run(t, dir, "config", "user.email", "test@example.com")
	for p, s := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "first")
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// worktreeSession starts an acceptEdits session on its own branch and
// waits until it is idle; it returns its id and folder.
func worktreeSession(t *testing.T, h *kt.Harness, st *kt.Stream, title string) (string, string) {
	t.Helper()
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "title": title, "worktree": true, "permissionMode": "acceptEdits"})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	sid := s["id"].(string)
	st.Until(t, 60*time.Second, sessionStatus(sid, sessions.StatusIdle))
	return sid, s["cwd"].(string)
}

// turn runs one prompt to its end, allowing every tool it asks for.
func turn(t *testing.T, h *kt.Harness, st *kt.Stream, sid, text string) {
	t.Helper()
	tid := h.Prompt(sid, text)
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
		evs := st.Until(t, 60*time.Second, func(e kt.Event) bool {
			return e.TurnID == tid && (e.Type == contract.EvPermissionRequest || e.Type == contract.EvTurnCompleted)
		})
		last := evs[len(evs)-1]
		if last.Type == contract.EvTurnCompleted {
			if r := last.DataMap()["reason"]; r != sessions.ReasonCompleted {
				t.Fatalf("turn %q ended %v: %v", text, r, last.DataMap())
			}
			return
		}
		rid := last.DataMap()["requestId"].(string)
		if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+rid, map[string]any{"behavior": "allow"}); status != http.StatusOK {
			t.Fatalf("allow: %d %v", status, r)
		}
	}
	t.Fatalf("turn %q did not end", text)
}

func edit(file, old, repl string) string {
	return fmt.Sprintf(`[[tool Edit: {"file_path":%q,"old_string":%q,"new_string":%q}]]`, file, old, repl)
}

func read(file string) string { return fmt.Sprintf(`[[tool Read: {"file_path":%q}]]`, file) }

func changes(t *testing.T, h *kt.Harness, sid string) []any {
	t.Helper()
	status, c := h.Do("GET", "/v1/sessions/"+sid+"/changes", nil)
	if status != http.StatusOK {
		t.Fatalf("changes: %d %v", status, c)
	}
	return c["files"].([]any)
}

func diff(t *testing.T, h *kt.Harness, sid, path string) string {
	t.Helper()
	status, d := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path="+url.QueryEscape(path), nil)
	if status != http.StatusOK {
		t.Fatalf("diff %s: %d %v", path, status, d)
	}
	return d["diff"].(string)
}

func file(path string, status string, add, del int, extra ...any) map[string]any {
	f := map[string]any{"path": path, "status": status, "additions": float64(add), "deletions": float64(del), "binary": false}
	for i := 0; i+1 < len(extra); i += 2 {
		f[extra[i].(string)] = extra[i+1]
	}
	return f
}

// Two sessions on one repository edit the same file, each on its own
// branch: neither sees the other's edit nor touches the repository's
// checkout; each lists exactly its own changes; the first merges by a
// fast-forward, the second conflicts and changes nothing, a third merges
// with a merge commit; the second is discarded after naming its commit.
func TestTwoSessionsOnOwnBranchesThenMergeAndDiscard(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "one\ntwo\nthree\n", "b.txt": "bee\n", "d.txt": "dee\n", "e.txt": "e\n"})
	st := h.Events(-1)
	a, aDir := worktreeSession(t, h, st, "Session A")
	b, bDir := worktreeSession(t, h, st, "Session B")
	if aDir == bDir || !strings.HasPrefix(aDir, h.DataDir) {
		t.Fatalf("worktrees %s and %s", aDir, bDir)
	}
	_, sa := h.Do("GET", "/v1/sessions/"+a, nil)
	wt := sa["worktree"].(map[string]any)
	if wt["repo"] != h.Work || wt["path"] != aDir || wt["base"] != "main" || !strings.HasPrefix(wt["branch"].(string), "konui/session-a-") {
		t.Fatalf("worktree of A: %v", wt)
	}

	turn(t, h, st, a, read(filepath.Join(aDir, "a.txt")))
	turn(t, h, st, a, edit(filepath.Join(aDir, "a.txt"), "two", "TWO by A"))
	turn(t, h, st, a, fmt.Sprintf(`[[tool Write: {"file_path":%q,"content":"new\nfile\n"}]]`, filepath.Join(aDir, "n.txt")))
	turn(t, h, st, a, `[[bash: mv b.txt c.txt; rm d.txt; printf '\000\001\002' > bin.dat]]`)
	turn(t, h, st, b, read(filepath.Join(bDir, "a.txt")))
	turn(t, h, st, b, edit(filepath.Join(bDir, "a.txt"), "two", "2 by B"))

	for dir, want := range map[string]string{h.Work: "one\ntwo\nthree\n", aDir: "one\nTWO by A\nthree\n", bDir: "one\n2 by B\nthree\n"} {
		if got, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(got) != want {
			t.Fatalf("a.txt in %s = %q, want %q", dir, got, want)
		}
	}
	wantA := []any{
		file("a.txt", "modified", 1, 1),
		file("bin.dat", "added", 0, 0, "binary", true),
		file("c.txt", "renamed", 0, 0, "oldPath", "b.txt"),
		file("d.txt", "deleted", 0, 1),
		file("n.txt", "added", 2, 0),
	}
	if got := changes(t, h, a); !reflect.DeepEqual(got, wantA) {
		t.Fatalf("changes of A\n got %v\nwant %v", got, wantA)
	}
	if got := changes(t, h, b); !reflect.DeepEqual(got, []any{file("a.txt", "modified", 1, 1)}) {
		t.Fatalf("changes of B: %v", got)
	}
	if d := diff(t, h, a, "a.txt"); !strings.HasSuffix(d, "@@ -1,3 +1,3 @@\n one\n-two\n+TWO by A\n three\n") {
		t.Fatalf("diff of a.txt in A:\n%s", d)
	}
	if d := diff(t, h, a, "n.txt"); !strings.HasSuffix(d, "--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1,2 @@\n+new\n+file\n") {
		t.Fatalf("diff of n.txt in A:\n%s", d)
	}
	// A diff is text whatever the file holds: nothing (an attribute, a
	// byte that makes git call it binary) hides what changed.
	if d := diff(t, h, a, "bin.dat"); !strings.Contains(d, "+++ b/bin.dat\n@@ -0,0 +1 @@\n+") {
		t.Fatalf("diff of bin.dat in A:\n%s", d)
	}

	// Merge A: a fast-forward of main, the checkout brought along.
	commitAndMerge(t, h, a, "A's work", "fast-forward")
	if got, _ := os.ReadFile(filepath.Join(h.Work, "a.txt")); string(got) != "one\nTWO by A\nthree\n" {
		t.Fatalf("a.txt after merging A = %q", got)
	}
	// Merge B: a conflict in a.txt that changes nothing.
	commit(t, h, b, "B's work")
	before := run(t, h.Work, "rev-parse", "main")
	status, r := h.Do("POST", "/v1/sessions/"+b+"/worktree/merge", map[string]any{})
	if status != http.StatusConflict || r["code"] != "merge_conflict" || !reflect.DeepEqual(r["files"], []any{"a.txt"}) {
		t.Fatalf("merge of B: %d %v", status, r)
	}
	if run(t, h.Work, "rev-parse", "main") != before || run(t, h.Work, "status", "--porcelain") != "" {
		t.Fatal("a conflicting merge changed the repository")
	}
	// A third session, on another file: a merge commit.
	c, cDir := worktreeSession(t, h, st, "Session C")
	turn(t, h, st, c, read(filepath.Join(cDir, "e.txt")))
	turn(t, h, st, c, edit(filepath.Join(cDir, "e.txt"), "e", "E by C"))
	// main moved on after C branched: A is merged, but C started from it;
	// move main once more so that C needs a merge commit.
	if err := os.WriteFile(filepath.Join(h.Work, "z.txt"), []byte("z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, h.Work, "add", "z.txt")
	run(t, h.Work, "commit", "-q", "-m", "z")
	commitAndMerge(t, h, c, "C's work", "merge-commit")
	if got, _ := os.ReadFile(filepath.Join(h.Work, "e.txt")); string(got) != "E by C\n" {
		t.Fatalf("e.txt after merging C = %q", got)
	}

	// Discard B: first refused, naming its unmerged commit, then done.
	status, r = h.Do("POST", "/v1/sessions/"+b+"/worktree/discard", map[string]any{})
	commits, _ := r["commits"].([]any)
	if status != http.StatusConflict || r["code"] != "unmerged_commits" || len(commits) != 1 || !strings.Contains(r["error"].(string), "B's work") {
		t.Fatalf("discard without confirm: %d %v", status, r)
	}
	status, r = h.Do("POST", "/v1/sessions/"+b+"/worktree/discard", map[string]any{"confirm": true})
	if status != http.StatusOK || r["session"].(map[string]any)["worktree"].(map[string]any)["discarded"] != true {
		t.Fatalf("discard: %d %v", status, r)
	}
	if _, err := os.Stat(bDir); !os.IsNotExist(err) {
		t.Fatal("B's worktree is still there")
	}
	if out := run(t, h.Work, "branch", "--list", "konui/session-b-*"); out != "" {
		t.Fatalf("B's branch is still there: %s", out)
	}
	if status, r := h.Do("GET", "/v1/sessions/"+b+"/changes", nil); status != http.StatusConflict || r["code"] != "worktree_discarded" {
		t.Fatalf("changes after a discard: %d %v", status, r)
	}
	// Ending a session keeps its worktree.
	if status, _ := h.Do("DELETE", "/v1/sessions/"+a, nil); status != http.StatusNoContent {
		t.Fatalf("end A: %d", status)
	}
	if _, err := os.Stat(aDir); err != nil {
		t.Fatalf("ending A removed its worktree: %v", err)
	}
}

func commit(t *testing.T, h *kt.Harness, sid, msg string) {
	t.Helper()
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/worktree/commit", map[string]any{"message": msg})
	if status != http.StatusOK {
		t.Fatalf("commit: %d %v", status, r)
	}
}

func commitAndMerge(t *testing.T, h *kt.Harness, sid, msg, want string) {
	t.Helper()
	commit(t, h, sid, msg)
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/worktree/merge", map[string]any{})
	if status != http.StatusOK || r["result"] != want {
		t.Fatalf("merge: %d %v, want %s", status, r, want)
	}
}

// Paths that leave the worktree, names git would read as options, a folder
// that is no repository and a branch that is taken are refused with a
// sentence; a session without a worktree shows its folder against HEAD.
func TestWorktreeRequestsThatGitMustNotSeeAreRefused(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	plain := h.CreateSession()
	status, r := h.Do("GET", "/v1/sessions/"+plain+"/changes", nil)
	if status != http.StatusBadRequest || r["code"] != "not_a_repository" {
		t.Fatalf("changes outside a repository: %d %v", status, r)
	}
	status, r = h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": true})
	if status != http.StatusBadRequest || r["code"] != "not_a_repository" || !strings.Contains(r["error"].(string), "not inside a git repository") {
		t.Fatalf("worktree outside a repository: %d %v", status, r)
	}
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	if err := os.WriteFile(filepath.Join(h.Work, "a.txt"), []byte("b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The repository is decided when a session is made: a .git that
	// appears later in its folder (as an agent could make one) is not read.
	if status, r := h.Do("GET", "/v1/sessions/"+plain+"/changes", nil); status != http.StatusBadRequest || r["code"] != "not_a_repository" {
		t.Fatalf("changes of a folder that became a repository after the session was made: %d %v", status, r)
	}
	plain = h.CreateSession()
	if got := changes(t, h, plain); !reflect.DeepEqual(got, []any{file("a.txt", "modified", 1, 1)}) {
		t.Fatalf("changes of a session in its folder: %v", got)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+plain+"/worktree/merge", map[string]any{}); status != http.StatusConflict || r["code"] != "no_worktree" {
		t.Fatalf("merge without a worktree: %d %v", status, r)
	}
	for _, bad := range []map[string]any{{"branch": "--force"}, {"base": "--orphan"}, {"branch": "a..b"}} {
		status, r := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": bad})
		if status != http.StatusBadRequest || r["code"] != "bad_name" {
			t.Fatalf("worktree %v: %d %v", bad, status, r)
		}
	}
	if status, r := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": map[string]any{"base": "nope"}}); status != http.StatusBadRequest || r["code"] != "not_found" {
		t.Fatalf("unknown base: %d %v", status, r)
	}
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": map[string]any{"branch": "feature/x"}})
	if status != http.StatusCreated || s["worktree"].(map[string]any)["branch"] != "feature/x" {
		t.Fatalf("chosen branch: %d %v", status, s)
	}
	if status, r := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": map[string]any{"branch": "feature/x"}}); status != http.StatusConflict || r["code"] != "branch_taken" {
		t.Fatalf("taken branch: %d %v", status, r)
	}
	sid := s["id"].(string)
	if got, _ := os.ReadFile(filepath.Join(s["cwd"].(string), "a.txt")); string(got) != "a\n" {
		t.Fatalf("a worktree without carry got the repository's uncommitted a.txt: %q", got)
	}
	status, c := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "worktree": map[string]any{"branch": "carried", "carry": true}})
	if got, _ := os.ReadFile(filepath.Join(fmt.Sprint(c["cwd"]), "a.txt")); status != http.StatusCreated || string(got) != "b\n" {
		t.Fatalf("carry: %d %v, a.txt %q", status, c, got)
	}
	_, rf := h.Do("GET", "/v1/folders/recent", nil)
	if folders := rf["folders"].([]any); len(folders) != 1 || folders[0].(map[string]any)["path"] != h.Work {
		t.Fatalf("recent folders name the worktree, not the folder chosen: %v", folders)
	}
	// A name that starts with "-" is a name: it goes to git after "--".
	out := filepath.Join(t.TempDir(), "x")
	if status, r := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path="+url.QueryEscape("--output="+out), nil); status != http.StatusNotFound {
		t.Fatalf("diff of --output=: %d %v", status, r)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("git took a path for an option")
	}
	for _, p := range []string{"../a.txt", "/etc/passwd", "x/../../a.txt", ""} {
		status, r := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path="+url.QueryEscape(p), nil)
		if status != http.StatusBadRequest || r["code"] != "bad_path" {
			t.Fatalf("diff of %q: %d %v", p, status, r)
		}
	}
	if status, r := h.Do("GET", "/v1/sessions/"+sid+"/changes/diff?path=a.txt", nil); status != http.StatusNotFound {
		t.Fatalf("diff of an unchanged file: %d %v", status, r)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/worktree/commit", map[string]any{"message": "x"}); status != http.StatusConflict || r["code"] != "nothing_to_commit" {
		t.Fatalf("empty commit: %d %v", status, r)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/worktree/commit", map[string]any{"message": " "}); status != http.StatusBadRequest {
		t.Fatalf("commit without a message: %d %v", status, r)
	}
}

// A session on its own branch keeps its worktree across a Konsole restart:
// the agent comes back in the worktree and its changes still list.
func TestAWorktreeSessionSurvivesAKonsoleRestart(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	st := h.Events(-1)
	sid, dir := worktreeSession(t, h, st, "restart")
	h.Server.Close()
	h = kt.Start(t, kt.Options{DataDir: h.DataDir, Home: h.Home, Fake: h.Fake})
	st = h.Events(-1)
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if wt, _ := s["worktree"].(map[string]any); s["cwd"] != dir || wt["path"] != dir || wt["base"] != "main" {
		t.Fatalf("after a restart: %v", s)
	}
	turn(t, h, st, sid, fmt.Sprintf(`[[tool Write: {"file_path":%q,"content":"after\n"}]]`, filepath.Join(dir, "b.txt")))
	if got := changes(t, h, sid); !reflect.DeepEqual(got, []any{file("b.txt", "added", 1, 0)}) {
		t.Fatalf("changes after a restart: %v", got)
	}
	if _, err := os.Stat(filepath.Join(h.Work, "b.txt")); !os.IsNotExist(err) {
		t.Fatal("the agent wrote into the repository's own folder after the restart")
	}
}
