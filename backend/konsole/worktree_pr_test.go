package konsole_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/sessions"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// standInGH puts a gh first on PATH that records each call's folder and
// arguments (NUL after each, RS after each call) in dir/log, fails `auth
// status` while dir/authfail exists, and prints a URL for `pr create`.
func standInGH(t *testing.T, dir string) {
	t.Helper()
	script := "#!/bin/sh\n" +
		"{ pwd; printf '%s\\0' \"$@\"; printf '\\036'; } >> '" + dir + "/log'\n" +
		"case \"$1\" in\n" +
		"auth) if [ -f '" + dir + "/authfail' ]; then echo 'You are not logged into any GitHub hosts.' >&2; exit 1; fi ;;\n" +
		"pr) echo 'https://github.com/acme/widgets/pull/12' ;;\n" +
		"esac\n"
	if err := os.WriteFile(filepath.Join(dir, "gh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// The pull request routes: unavailable with a reason without gh or when
// gh is logged out, then the branch pushed to a bare origin and gh run in
// the worktree with exact arguments, its URL in a 201.
func TestWorktreePullRequestRoutes(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "one\n"})
	bare := filepath.Join(t.TempDir(), "origin.git")
	run(t, h.Work, "init", "-q", "--bare", bare)
	run(t, h.Work, "remote", "add", "origin", bare)
	st := h.Events(-1)
	sid, dir := worktreeSession(t, h, st, "Pull me")
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	branch := s["worktree"].(map[string]any)["branch"].(string)

	// A session in its own folder, and an unknown one.
	status, plain := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work, "title": "plain"})
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, plain)
	}
	pid := plain["id"].(string)
	st.Until(t, 60*time.Second, sessionStatus(pid, sessions.StatusIdle))
	if status, a := h.Do("GET", "/v1/sessions/"+pid+"/worktree/pr", nil); status != http.StatusOK || a["available"] != false || !strings.Contains(a["reason"].(string), "not in a worktree") {
		t.Fatalf("plain session: %d %v", status, a)
	}
	if status, a := h.Do("POST", "/v1/sessions/"+pid+"/worktree/pr", map[string]any{"title": "t"}); status != http.StatusConflict || a["code"] != "no_worktree" {
		t.Fatalf("plain session pr: %d %v", status, a)
	}
	if status, a := h.Do("GET", "/v1/sessions/no-such/worktree/pr", nil); status != http.StatusNotFound {
		t.Fatalf("unknown session: %d %v", status, a)
	}

	// No gh on PATH (only git), then a gh that is logged out.
	gitPath, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	oldPath, only := os.Getenv("PATH"), t.TempDir()
	if err := os.Symlink(gitPath, filepath.Join(only, "git")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", only)
	if status, a := h.Do("GET", "/v1/sessions/"+sid+"/worktree/pr", nil); status != http.StatusOK || a["available"] != false || !strings.Contains(a["reason"].(string), "not installed") {
		t.Fatalf("without gh: %d %v", status, a)
	}
	if status, a := h.Do("POST", "/v1/sessions/"+sid+"/worktree/pr", map[string]any{"title": "t"}); status != http.StatusConflict || a["code"] != "gh_unavailable" {
		t.Fatalf("pr without gh: %d %v", status, a)
	}
	ghDir := t.TempDir()
	standInGH(t, ghDir)
	t.Setenv("PATH", ghDir+string(os.PathListSeparator)+oldPath)
	if err := os.WriteFile(filepath.Join(ghDir, "authfail"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if status, a := h.Do("GET", "/v1/sessions/"+sid+"/worktree/pr", nil); status != http.StatusOK || a["available"] != false || !strings.Contains(a["reason"].(string), "You are not logged into any GitHub hosts.") {
		t.Fatalf("logged out: %d %v", status, a)
	}
	os.Remove(filepath.Join(ghDir, "authfail"))
	if status, a := h.Do("GET", "/v1/sessions/"+sid+"/worktree/pr", nil); status != http.StatusOK || !reflect.DeepEqual(a, map[string]any{"available": true}) {
		t.Fatalf("available: %d %v", status, a)
	}

	// Refusals, then the pull request.
	for _, c := range []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"title": " "}, http.StatusBadRequest, "bad_name"},
		{map[string]any{"title": 5}, http.StatusBadRequest, "bad_request"},
		{map[string]any{"title": "t"}, http.StatusConflict, "nothing_to_commit"},
	} {
		if status, a := h.Do("POST", "/v1/sessions/"+sid+"/worktree/pr", c.body); status != c.status || a["code"] != c.code {
			t.Fatalf("%v: %d %v", c.body, status, a)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if status, a := h.Do("POST", "/v1/sessions/"+sid+"/worktree/pr", map[string]any{"title": "t"}); status != http.StatusConflict || a["code"] != "dirty" || !reflect.DeepEqual(a["files"], []any{"a.txt"}) {
		t.Fatalf("dirty: %d %v", status, a)
	}
	status, c := h.Do("POST", "/v1/sessions/"+sid+"/worktree/commit", map[string]any{"message": "Pull me"})
	if status != http.StatusOK {
		t.Fatalf("commit: %d %v", status, c)
	}
	sha := c["commit"].(map[string]any)["sha"].(string)
	if refs := run(t, bare, "for-each-ref", "--format=%(refname)"); refs != "" {
		t.Fatalf("pushed before the pull request: %q", refs)
	}
	os.Remove(filepath.Join(ghDir, "log"))
	status, a := h.Do("POST", "/v1/sessions/"+sid+"/worktree/pr", map[string]any{"title": "Pull me", "body": "From a Konui session.\n"})
	if status != http.StatusCreated || !reflect.DeepEqual(a, map[string]any{"url": "https://github.com/acme/widgets/pull/12"}) {
		t.Fatalf("pr: %d %v", status, a)
	}
	if got := run(t, bare, "rev-parse", "refs/heads/"+branch); got != sha {
		t.Fatalf("origin has %s at %s, want %s", branch, got, sha)
	}
	log, _ := os.ReadFile(filepath.Join(ghDir, "log"))
	calls := strings.Split(strings.TrimSuffix(string(log), "\x1e"), "\x1e")
	want := dir + "\npr\x00create\x00--base\x00main\x00--head\x00" + branch + "\x00--title=Pull me\x00--body=From a Konui session.\n\x00"
	if len(calls) != 2 || !strings.HasSuffix(calls[0], "auth\x00status\x00") || calls[1] != want {
		t.Fatalf("gh calls %q, want auth status then %q", calls, want)
	}
}
