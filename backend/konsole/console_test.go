package konsole_test

import (
	"encoding/json"
	"fmt"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/sessions"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// idleSession starts a session and waits until its agent is ready.
func idleSession(t *testing.T, h *kt.Harness, st *kt.Stream, body map[string]any) string {
	t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	body["cwd"] = h.Work
	status, s := h.Do("POST", "/v1/sessions", body)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, s)
	}
	sid := s["id"].(string)
	st.Until(t, 60*time.Second, sessionStatus(sid, sessions.StatusIdle))
	return sid
}

func permissionEvent(turn string) func(kt.Event) bool {
	return func(e kt.Event) bool { return e.Type == contract.EvPermissionRequest && e.TurnID == turn }
}

// A model switch mid-session goes to the running CLI and names the model
// of its very next request; the session says so.
func TestModelSwitchMidSessionChangesTheNextRequest(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	first := h.Prompt(sid, "before the switch")
	st.Until(t, 60*time.Second, kt.TurnCompleted(first))

	status, s := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"model": "claude-sonnet-4-5"})
	if status != http.StatusOK || s["model"] != "claude-sonnet-4-5" {
		t.Fatalf("PATCH model: %d %v", status, s)
	}
	st.Until(t, 10*time.Second, func(e kt.Event) bool {
		m, _ := e.DataMap()["session"].(map[string]any)
		return e.Type == contract.EvSessionUpdated && m["model"] == "claude-sonnet-4-5"
	})
	n := len(h.Fake.Requests())
	second := h.Prompt(sid, "after the switch")
	st.Until(t, 60*time.Second, kt.TurnCompleted(second))
	var models []string
	for _, r := range h.Fake.Requests()[n:] {
		if r.Stream {
			models = append(models, r.Model)
		}
	}
	if len(models) == 0 || models[0] != "claude-sonnet-4-5" {
		t.Fatalf("the requests after the switch named %v, want claude-sonnet-4-5 first", models)
	}

	status, s = h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"permissionMode": "acceptEdits"})
	if status != http.StatusOK || s["permissionMode"] != "acceptEdits" {
		t.Fatalf("PATCH permissionMode: %d %v", status, s)
	}
	_, info := h.Do("GET", "/v1/sessions/"+sid+"/info", nil)
	if info["running"] != true || len(info["tools"].([]any)) == 0 || len(info["models"].([]any)) == 0 || info["permissionMode"] != "acceptEdits" {
		t.Fatalf("info = %v", info)
	}
	_, models2 := h.Do("GET", "/v1/models", nil)
	if len(models2["models"].([]any)) == 0 || len(models2["commands"].([]any)) == 0 {
		t.Fatalf("GET /v1/models = %v", models2)
	}
}

// A plan (ExitPlanMode) shows as a plan with its text; approving it with
// acceptEdits switches the session's mode, and the next edit runs without
// asking.
func TestPlanApprovalWithAcceptEditsLetsTheNextEditRun(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, map[string]any{"permissionMode": "plan"})
	turn := h.Prompt(sid, `[[tool ExitPlanMode: {"plan":"# Plan\n1. write a.txt"}]]`)
	evs := st.Until(t, 60*time.Second, permissionEvent(turn))
	req := evs[len(evs)-1].DataMap()
	if req["kind"] != sessions.PermissionPlan || !strings.Contains(fmt.Sprint(req["plan"]), "write a.txt") {
		t.Fatalf("plan request = %v", req)
	}
	rid := req["requestId"].(string)
	// A question's answer is not a plan's.
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+rid, map[string]any{"behavior": "allow", "answers": map[string]string{"x": "y"}}); status != http.StatusBadRequest {
		t.Fatalf("answers to a plan: %d, want 400", status)
	}
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+rid, map[string]any{"behavior": "allow", "mode": "yolo"}); status != http.StatusBadRequest {
		t.Fatalf("unknown mode: %d, want 400", status)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+rid, map[string]any{"behavior": "allow", "mode": "acceptEdits"}); status != http.StatusOK {
		t.Fatalf("approve: %d %v", status, r)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["permissionMode"] != "acceptEdits" {
		t.Fatalf("mode after the approval = %v", s["permissionMode"])
	}

	file := filepath.Join(h.Work, "a.txt")
	edit := h.Prompt(sid, fmt.Sprintf(`[[tool Write: {"file_path":%q,"content":"written after the plan"}]]`, file))
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(edit))
	for _, e := range evs {
		if e.Type == contract.EvPermissionRequest {
			t.Fatalf("the edit after an acceptEdits approval asked for permission: %v", e.DataMap())
		}
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "written after the plan" {
		t.Fatalf("a.txt = %q, %v", b, err)
	}
}

// A question (AskUserQuestion) shows as a question; its answer reaches the
// model.
func TestAQuestionsAnswerReachesTheModel(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	turn := h.Prompt(sid, `[[tool AskUserQuestion: {"questions":[{"question":"Which colour?","header":"Colour","options":[{"label":"Red","description":"warm"},{"label":"Blue","description":"cool"}],"multiSelect":false}]}]]`)
	evs := st.Until(t, 60*time.Second, permissionEvent(turn))
	req := evs[len(evs)-1].DataMap()
	if req["kind"] != sessions.PermissionQuestion {
		t.Fatalf("question request = %v", req)
	}
	rid := req["requestId"].(string)
	for _, bad := range []map[string]any{
		{"behavior": "allow", "mode": "acceptEdits"},                                 // a plan's answer
		{"behavior": "allow", "answers": map[string]string{"Which shape?": "Round"}}, // not asked
		{"behavior": "allow", "answers": map[string]string{}},
	} {
		if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+rid, bad); status != http.StatusBadRequest {
			t.Fatalf("%v: %d, want 400", bad, status)
		}
	}
	n := len(h.Fake.Requests())
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+rid, map[string]any{"behavior": "allow", "answers": map[string]string{"Which colour?": "Blue"}}); status != http.StatusOK {
		t.Fatalf("answer: %d %v", status, r)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	var results []string
	for _, r := range h.Fake.Requests()[n:] {
		for _, tr := range r.NewResults {
			results = append(results, tr.Content)
		}
	}
	if !strings.Contains(strings.Join(results, " "), `"Which colour?"="Blue"`) {
		t.Fatalf("the model was told %q, want the answer Blue", results)
	}
}

// A prompt sent with whenBusy "queue" while a turn runs waits in the
// queue, can be edited, and runs when the turn ends; without it, 409.
func TestAQueuedPromptRunsAfterTheCurrentTurn(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	long := h.Prompt(sid, "[[long 60 20]]")
	st.Until(t, 60*time.Second, func(e kt.Event) bool { return e.Type == contract.EvTextDelta && e.TurnID == long })
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "refused"}); status != http.StatusConflict {
		t.Fatalf("a prompt while busy without whenBusy: %d, want 409", status)
	}
	status, q := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "queued first draft", "whenBusy": "queue"})
	if status != http.StatusAccepted || q["queued"] != true || q["queueId"] == "" {
		t.Fatalf("queue: %d %v", status, q)
	}
	qid := q["queueId"].(string)
	if status, _ := h.Do("PATCH", "/v1/sessions/"+sid+"/queue/"+qid, map[string]any{"text": "queued and edited"}); status != http.StatusOK {
		t.Fatalf("edit: %d", status)
	}
	if status, _ := h.Do("PATCH", "/v1/sessions/"+sid+"/queue/nope", map[string]any{"text": "x"}); status != http.StatusNotFound {
		t.Fatalf("edit of an unknown id: %d, want 404", status)
	}
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "x", "whenBusy": "later"}); status != http.StatusBadRequest {
		t.Fatalf("unknown whenBusy: %d, want 400", status)
	}
	_, got := h.Do("GET", "/v1/sessions/"+sid+"/queue", nil)
	if list := got["queue"].([]any); len(list) != 1 || list[0].(map[string]any)["text"] != "queued and edited" {
		t.Fatalf("queue = %v", got)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(long))
	evs := st.Until(t, 60*time.Second, func(e kt.Event) bool {
		return e.Type == contract.EvTurnStarted && e.DataMap()["prompt"] == "queued and edited"
	})
	next := evs[len(evs)-1].TurnID
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(next))
	if got := deltas(evs, next); got != "Echo: queued and edited" {
		t.Fatalf("the queued turn answered %q", got)
	}
	_, got = h.Do("GET", "/v1/sessions/"+sid+"/queue", nil)
	if list := got["queue"].([]any); len(list) != 0 {
		t.Fatalf("queue after it ran = %v", got)
	}
}

// A queued prompt is stored: after a Konsole restart that cut its turn
// short, it is sent; a Stop pauses the queue instead.
func TestAQueuedPromptSurvivesAKonsoleRestart(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	long := h.Prompt(sid, "[[long 2000]]")
	st.Until(t, 60*time.Second, func(e kt.Event) bool { return e.Type == contract.EvTextDelta && e.TurnID == long })
	if status, q := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "kept across the restart", "whenBusy": "queue"}); status != http.StatusAccepted || q["queued"] != true {
		t.Fatalf("queue: %d %v", status, q)
	}
	h.Server.Close()
	h = kt.Start(t, kt.Options{DataDir: h.DataDir, Home: h.Home, Fake: h.Fake})
	st = h.Events(0)
	evs := st.Until(t, 90*time.Second, func(e kt.Event) bool {
		return e.Type == contract.EvTurnStarted && e.DataMap()["prompt"] == "kept across the restart"
	})
	turn := evs[len(evs)-1].TurnID
	evs = st.Until(t, 90*time.Second, kt.TurnCompleted(turn))
	if got := deltas(evs, turn); got != "Echo: kept across the restart" {
		t.Fatalf("answer = %q; the turn ended %v", got, evs[len(evs)-1].DataMap())
	}

	// Stop pauses the queue and leaves it as it is.
	st = h.Events(-1)
	long = h.Prompt(sid, "[[long 2000]]")
	st.Until(t, 60*time.Second, func(e kt.Event) bool { return e.Type == contract.EvTextDelta && e.TurnID == long })
	h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": "waits after a stop", "whenBusy": "queue"})
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/stop", nil); status != http.StatusOK {
		t.Fatalf("stop: %d", status)
	}
	st.Until(t, 30*time.Second, kt.TurnCompleted(long))
	evs = st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.Type == contract.EvQueueUpdated && e.DataMap()["paused"] == true })
	var q struct {
		Queue []struct{ ID, Text string } `json:"queue"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].Data, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Queue) != 1 || q.Queue[0].Text != "waits after a stop" {
		t.Fatalf("queue after the stop = %+v", q)
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != sessions.StatusIdle || s["queuePaused"] != true || s["queued"] != float64(1) {
		t.Fatalf("session after the stop = %v", s)
	}
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/queue/"+q.Queue[0].ID+"/send", nil)
	if status != http.StatusAccepted {
		t.Fatalf("send: %d %v", status, r)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(r["turnId"].(string)))
}

// /clear gives the conversation a new id; Konsole follows it, so a restart
// resumes the conversation after the clear, not the one before.
func TestClearThenRestartResumesTheRightConversation(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, "remember the word tangerine")))
	_, before := h.Do("GET", "/v1/sessions/"+sid, nil)
	st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, "/clear")))
	st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, "remember the word papaya")))
	_, after := h.Do("GET", "/v1/sessions/"+sid, nil)
	if after["agentSessionId"] == before["agentSessionId"] || after["agentSessionId"] == "" {
		t.Fatalf("agent session id after /clear: %v (before %v)", after["agentSessionId"], before["agentSessionId"])
	}
	h.Server.Close()
	h = kt.Start(t, kt.Options{DataDir: h.DataDir, Home: h.Home, Fake: h.Fake})
	st = h.Events(-1)
	n := len(h.Fake.Requests())
	st.Until(t, 90*time.Second, kt.TurnCompleted(h.Prompt(sid, "which word?")))
	var tr string
	for _, r := range h.Fake.Requests()[n:] {
		if r.Stream {
			tr = r.Transcript()
		}
	}
	if !strings.Contains(tr, "papaya") || strings.Contains(tr, "tangerine") {
		t.Fatalf("the resumed conversation is not the one after /clear: %q", tr)
	}
}

// Bad changes get the documented JSON error and change nothing.
func TestBadSessionChangesAreRefusedAndChangeNothing(t *testing.T) {
	h := kt.Start(t, kt.Options{Claude: "false"})
	status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
	if status != http.StatusCreated {
		t.Fatalf("create: %d", status)
	}
	sid := s["id"].(string)
	for _, bad := range []map[string]any{
		{"permissionMode": "yolo"}, {"model": "no spaces allowed"}, {"model": ""}, {}, {"title": ""},
	} {
		status, e := h.Do("PATCH", "/v1/sessions/"+sid, bad)
		if status != http.StatusBadRequest || e["code"] != "bad_request" {
			t.Fatalf("PATCH %v: %d %v, want 400 bad_request", bad, status, e)
		}
	}
	for _, bad := range []map[string]any{{"cwd": h.Work, "effort": "turbo"}, {"cwd": h.Work, "model": "a b"}} {
		if status, _ := h.Do("POST", "/v1/sessions", bad); status != http.StatusBadRequest {
			t.Fatalf("create %v: %d, want 400", bad, status)
		}
	}
	if status, _ := h.Do("DELETE", "/v1/sessions/"+sid+"/queue/nope", nil); status != http.StatusNotFound {
		t.Fatalf("delete an unknown queue id: %d, want 404", status)
	}
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/queue/nope/send", nil); status != http.StatusNotFound {
		t.Fatalf("send an unknown queue id: %d, want 404", status)
	}
	_, after := h.Do("GET", "/v1/sessions/"+sid, nil)
	if after["permissionMode"] != s["permissionMode"] || after["model"] != s["model"] || after["title"] != s["title"] {
		t.Fatalf("a refused change changed the session: %v -> %v", s, after)
	}
}

// The folder completion lists folders only, under the prefix.
func TestFolderCompletionListsFoldersOnly(t *testing.T) {
	h := kt.Start(t, kt.Options{Claude: "false"})
	root := t.TempDir()
	for _, d := range []string{"alpha", "alps", "beta", ".hidden", "alpha/inner"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "alpine.txt"), []byte("a file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "alpha", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	status, r := h.Do("GET", "/v1/fs/dirs?prefix="+filepath.Join(root, "al"), nil)
	if status != http.StatusOK {
		t.Fatalf("dirs: %d %v", status, r)
	}
	var names []string
	for _, d := range r["dirs"].([]any) {
		m := d.(map[string]any)
		names = append(names, fmt.Sprintf("%v:%v", m["name"], m["git"] == true))
	}
	if strings.Join(names, ",") != "alpha:true,alps:false" {
		t.Fatalf("dirs under al = %v", names)
	}
	_, r = h.Do("GET", "/v1/fs/dirs?prefix="+root+"/", nil)
	if n := len(r["dirs"].([]any)); n != 3 {
		t.Fatalf("dirs of the root = %v, want alpha, alps, beta", r["dirs"])
	}
	if status, _ := h.Do("GET", "/v1/fs/dirs?prefix=relative/path", nil); status != http.StatusBadRequest {
		t.Fatalf("relative prefix: %d, want 400", status)
	}
	if status, _ := h.Do("GET", "/v1/fs/dirs?prefix="+filepath.Join(root, "missing")+"/", nil); status != http.StatusNotFound {
		t.Fatalf("missing folder: %d, want 404", status)
	}
	h.Do("POST", "/v1/sessions", map[string]any{"cwd": filepath.Join(root, "alpha"), "permissionMode": "plan", "effort": "high"})
	_, rec := h.Do("GET", "/v1/folders/recent", nil)
	first := rec["folders"].([]any)[0].(map[string]any)
	if first["path"] != filepath.Join(root, "alpha") || first["permissionMode"] != "plan" || first["effort"] != "high" {
		t.Fatalf("recent folders = %v", rec)
	}
}

// A subagent's messages (a Task call) carry the id of their Task call, in
// the event and in every stored block, so a reloaded transcript nests them.
func TestASubagentsMessagesCarryTheirTaskCall(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	h.Prompt(sid, `[[tool Task: {"description":"look around","prompt":"list the files for the parent","subagent_type":"general-purpose"}]]`)
	var taskID string
	evs := st.Until(t, 60*time.Second, func(e kt.Event) bool {
		if e.Type != contract.EvMessage {
			return false
		}
		var m struct {
			Role            string `json:"role"`
			ParentToolUseID string `json:"parentToolUseId"`
			Content         []struct {
				Type, ID, Name, Text string
			} `json:"content"`
		}
		json.Unmarshal(e.Data, &m)
		for _, b := range m.Content {
			if b.Type == "tool_use" && b.Name == "Task" && m.ParentToolUseID == "" {
				taskID = b.ID
			}
		}
		return taskID != "" && m.ParentToolUseID == taskID && len(m.Content) > 0 && strings.Contains(m.Content[0].Text, "list the files for the parent")
	})
	if taskID == "" || len(evs) == 0 {
		t.Fatal("no Task call")
	}
	_, msgs := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	nested := 0
	for _, m := range msgs["messages"].([]any) {
		for _, b := range m.(map[string]any)["content"].([]any) {
			if b.(map[string]any)["parentToolUseId"] == taskID {
				nested++
			}
		}
	}
	if nested == 0 {
		t.Fatalf("no stored block carries the Task call's id %s", taskID)
	}
	for _, e := range evs {
		if e.Type == contract.EvTextDelta && strings.Contains(e.DataMap()["text"].(string), "list the files for the parent") {
			t.Fatal("the subagent's answer streamed into the parent's text")
		}
	}
}
