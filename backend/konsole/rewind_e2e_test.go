package konsole_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// Prompts of the rewind test, and what the fake API has the agent do for
// each: Write twice; Edit, then Bash making one file and deleting
// another; Edit again.
const (
	stepOne   = "rewind step one: write two files"
	stepTwo   = "rewind step two: edit one and run a command"
	stepThree = "rewind step three: edit again"
	stepFour  = "rewind step four: after the rewind"
)

func rewindScript(work string) fakeapi.Script {
	at := func(name string) string { return filepath.Join(work, name) }
	return func(r *fakeapi.Request) fakeapi.Reply {
		if len(r.NewResults) > 0 {
			return fakeapi.DefaultScript(r)
		}
		tool := func(name string, input map[string]any) fakeapi.Block {
			return fakeapi.Block{Tool: &fakeapi.ToolUse{Name: name, Input: input}}
		}
		switch r.LastUser().Prompt {
		case stepOne:
			return fakeapi.Reply{Blocks: []fakeapi.Block{
				tool("Write", map[string]any{"file_path": at("a.txt"), "content": "alpha\nbeta\ngamma\n"}),
				tool("Write", map[string]any{"file_path": at("b.txt"), "content": "bee\n"}),
			}}
		case stepTwo:
			return fakeapi.Reply{Blocks: []fakeapi.Block{
				tool("Edit", map[string]any{"file_path": at("a.txt"), "old_string": "beta", "new_string": "BETA\nmore"}),
				tool("Bash", map[string]any{"command": "echo made > made.txt && rm old.txt", "description": "make one file, delete another"}),
			}}
		case stepThree:
			return fakeapi.Reply{Blocks: []fakeapi.Block{
				tool("Edit", map[string]any{"file_path": at("a.txt"), "old_string": "gamma", "new_string": "GAMMA"}),
			}}
		}
		return fakeapi.DefaultScript(r)
	}
}

// folderState is every file of dir with the hash of its bytes.
func folderState(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(h[:8])
	}
	return out
}

func sameFolder(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	var diffs []string
	for k := range merge(got, want) {
		if got[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s: %q, want %q", k, got[k], want[k]))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s:\n%s", what, strings.Join(diffs, "\n"))
	}
}

func merge(a, b map[string]string) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// runTurn sends prompt, allows every tool it asks for, and waits for its
// end.
func runTurn(t *testing.T, h *kt.Harness, st *kt.Stream, sid, prompt string) {
	t.Helper()
	turn := h.Prompt(sid, prompt)
	st.Until(t, 90*time.Second, func(e kt.Event) bool {
		if e.Type == contract.EvPermissionRequest && e.SessionID == sid {
			id := e.DataMap()["requestId"].(string)
			if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+id, map[string]any{"behavior": "allow"}); status != 200 {
				t.Fatalf("allow: %d %v", status, r)
			}
		}
		if e.Type == contract.EvTurnCompleted && e.TurnID == turn && e.DataMap()["reason"] != "completed" {
			t.Fatalf("the turn of %q ended %v", prompt, e.DataMap())
		}
		return e.Type == contract.EvTurnCompleted && e.TurnID == turn
	})
}

func rewindFiles(r map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, f := range r["files"].([]any) {
		m := f.(map[string]any)
		out[m["path"].(string)] = m
	}
	return out
}

// With the real CLI on the fake Messages API: three prompts change the
// folder through Write, Edit and Bash; a rewind to the second prompt puts
// every file back byte for byte (the file Bash made goes, the one it
// deleted comes back), leaves a file changed by hand alone unless named
// in overwrite, and drops the second and third turns from the
// conversation the next prompt continues; a dry run changes nothing, and
// a rewind is refused while a turn runs.
func TestRewindPutsFilesAndConversationBackToAPrompt(t *testing.T) {
	home := t.TempDir()
	work := filepath.Join(home, "work")
	fake, err := fakeapi.Start("127.0.0.1:0", rewindScript(work))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fake.Close() })
	h := kt.Start(t, kt.Options{Home: home, Fake: fake})
	if err := os.WriteFile(filepath.Join(h.Work, "old.txt"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sid := h.CreateSession()
	st := h.Events(-1)

	runTurn(t, h, st, sid, stepOne)
	beforeTwo := folderState(t, h.Work)
	if beforeTwo["a.txt"] == "" || beforeTwo["b.txt"] == "" || beforeTwo["old.txt"] == "" {
		t.Fatalf("the first turn did not write its files: %v", beforeTwo)
	}
	runTurn(t, h, st, sid, stepTwo)
	if _, err := os.Stat(filepath.Join(h.Work, "made.txt")); err != nil {
		t.Fatalf("Bash made no file: %v", err)
	}
	// By hand, between the second turn and the third prompt.
	if err := os.WriteFile(filepath.Join(h.Work, "b.txt"), []byte("changed by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runTurn(t, h, st, sid, stepThree)
	changed := folderState(t, h.Work)

	status, list := h.Do("GET", "/v1/sessions/"+sid+"/checkpoints", nil)
	if status != http.StatusOK {
		t.Fatalf("checkpoints: %d %v", status, list)
	}
	cps := list["checkpoints"].([]any)
	if len(cps) != 3 {
		t.Fatalf("checkpoints: %v", cps)
	}
	second := cps[1].(map[string]any)
	if second["prompt"] != stepTwo || second["turnId"] == "" || second["at"] == "" {
		t.Fatalf("the second checkpoint: %v", second)
	}
	if f := second["files"].(map[string]any); f["changed"] != 4.0 || f["insertions"].(float64) < 2 {
		t.Fatalf("what changed since the second prompt: %v", f)
	}
	msgID := second["messageId"]

	// A dry run changes nothing.
	status, dry := h.Do("POST", "/v1/sessions/"+sid+"/rewind", map[string]any{"messageId": msgID, "files": true, "conversation": true, "dryRun": true})
	if status != http.StatusOK || dry["applied"] != false {
		t.Fatalf("dry run: %d %v", status, dry)
	}
	files := rewindFiles(dry)
	for path, want := range map[string]string{"a.txt": "modified", "b.txt": "modified", "made.txt": "added", "old.txt": "deleted"} {
		if files[path]["status"] != want {
			t.Errorf("%s in the dry run: %v, want %s", path, files[path], want)
		}
	}
	if len(files) != 4 || files["b.txt"]["changedOutside"] != true || files["a.txt"]["changedOutside"] != false {
		t.Errorf("the dry run's files: %v", files)
	}
	if dry["conversation"].(map[string]any)["droppedTurns"] != 2.0 {
		t.Errorf("the dry run's conversation: %v", dry["conversation"])
	}
	sameFolder(t, "the folder after a dry run", folderState(t, h.Work), changed)

	// The rewind: every file but the one changed by hand goes back.
	status, res := h.Do("POST", "/v1/sessions/"+sid+"/rewind", map[string]any{"messageId": msgID, "files": true, "conversation": true})
	if status != http.StatusOK || res["applied"] != true {
		t.Fatalf("rewind: %d %v", status, res)
	}
	st.Until(t, 30*time.Second, func(e kt.Event) bool { return e.Type == contract.EvSessionRewound && e.SessionID == sid })
	want := map[string]string{}
	for k, v := range beforeTwo {
		want[k] = v
	}
	want["b.txt"] = changed["b.txt"]
	sameFolder(t, "the folder after the rewind", folderState(t, h.Work), want)
	if rewindFiles(res)["b.txt"]["restored"] != false {
		t.Errorf("b.txt, changed by hand, was restored: %v", res["files"])
	}

	// Named in overwrite, the file changed by hand goes back too.
	status, res = h.Do("POST", "/v1/sessions/"+sid+"/rewind", map[string]any{"messageId": msgID, "files": true, "overwrite": []string{"b.txt"}})
	if status != http.StatusOK || res["applied"] != true {
		t.Fatalf("rewind with overwrite: %d %v", status, res)
	}
	sameFolder(t, "the folder after the rewind with overwrite", folderState(t, h.Work), beforeTwo)

	// The export says where the rewinds were.
	if status, md := h.DoRaw("GET", "/v1/sessions/"+sid+"/export?format=md", nil, h.Token); status != http.StatusOK ||
		!strings.Contains(string(md), fmt.Sprintf("*Rewound (files and conversation) to just before prompt %v*", msgID)) {
		t.Errorf("the export: %d\n%s", status, md)
	}

	// The next prompt continues from just before the second one.
	runTurn(t, h, st, sid, stepFour)
	var last *fakeapi.Request
	for _, r := range fake.Requests() {
		if r.LastUser().Prompt == stepFour && len(r.NewResults) == 0 {
			last = r
		}
	}
	if last == nil {
		t.Fatal("the fake API saw no request for the prompt after the rewind")
	}
	conv := last.Transcript()
	if !strings.Contains(conv, stepOne) || strings.Contains(conv, stepTwo) || strings.Contains(conv, stepThree) || strings.Contains(conv, "made.txt") {
		t.Fatalf("the request after the rewind carries the dropped turns (or lost the first):\n%s", conv)
	}

	// Refusals: a message that is no prompt, an unknown session, a turn
	// running.
	status, msgs := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	if status != http.StatusOK {
		t.Fatal(status)
	}
	var assistantID any
	for _, m := range msgs["messages"].([]any) {
		if mm := m.(map[string]any); mm["role"] == "assistant" {
			assistantID = mm["id"]
		}
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/rewind", map[string]any{"messageId": assistantID, "files": true}); status != http.StatusBadRequest {
		t.Errorf("a rewind to an assistant message: %d %v", status, r)
	}
	if status, r := h.Do("POST", "/v1/sessions/nope/rewind", map[string]any{"messageId": msgID, "files": true}); status != http.StatusNotFound {
		t.Errorf("a rewind of an unknown session: %d %v", status, r)
	}
	turn := h.Prompt(sid, "[[long 400]]")
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/rewind", map[string]any{"messageId": msgID, "files": true, "dryRun": true}); status != http.StatusConflict {
		t.Errorf("a rewind during a turn: %d %v", status, r)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/stop", nil); status != http.StatusOK {
		t.Fatalf("stop: %d %v", status, r)
	}
	st.Until(t, 30*time.Second, kt.TurnCompleted(turn))
}

// In a session on its own worktree, the checkpoint is of the worktree: a
// rewind removes what the turn made there, the Changes listing follows,
// and the worktree's .git file and the repository are left as they were.
func TestRewindInAWorktreeSession(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	gitRepo(t, h.Work, map[string]string{"a.txt": "a\n"})
	st := h.Events(-1)
	sid, dir := worktreeSession(t, h, st, "rewind")
	dotGit, err := os.ReadFile(filepath.Join(dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	head := run(t, h.Work, "rev-parse", "HEAD")
	turn(t, h, st, sid, "[[bash: echo made > made.txt && echo changed > a.txt]]")
	status, c := h.Do("GET", "/v1/sessions/"+sid+"/changes", nil)
	if status != http.StatusOK || len(c["files"].([]any)) != 2 {
		t.Fatalf("changes before the rewind: %d %v", status, c)
	}
	status, list := h.Do("GET", "/v1/sessions/"+sid+"/checkpoints", nil)
	if status != http.StatusOK || len(list["checkpoints"].([]any)) != 1 {
		t.Fatalf("checkpoints: %d %v", status, list)
	}
	msgID := list["checkpoints"].([]any)[0].(map[string]any)["messageId"]
	status, res := h.Do("POST", "/v1/sessions/"+sid+"/rewind", map[string]any{"messageId": msgID, "files": true})
	if status != http.StatusOK || len(res["files"].([]any)) != 2 {
		t.Fatalf("rewind: %d %v", status, res)
	}
	status, c = h.Do("GET", "/v1/sessions/"+sid+"/changes", nil)
	if status != http.StatusOK || len(c["files"].([]any)) != 0 {
		t.Fatalf("changes after the rewind: %d %v", status, c)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "a\n" {
		t.Errorf("a.txt after the rewind: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, ".git")); string(b) != string(dotGit) {
		t.Errorf("the worktree's .git file changed: %q", b)
	}
	if now := run(t, h.Work, "rev-parse", "HEAD"); now != head {
		t.Errorf("the repository's HEAD moved: %s -> %s", head, now)
	}
}
