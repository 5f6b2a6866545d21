package konsole_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/history"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// transcriptTexts returns the text blocks of a session's messages, in order.
func transcriptTexts(t *testing.T, h *kt.Harness, sid string) ([]string, []map[string]any) {
	t.Helper()
	status, m := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	if status != http.StatusOK {
		t.Fatalf("messages: %d %v", status, m)
	}
	var texts []string
	var rows []map[string]any
	for _, raw := range m["messages"].([]any) {
		row := raw.(map[string]any)
		rows = append(rows, row)
		blocks, _ := row["content"].([]any)
		for _, b := range blocks {
			if bm := b.(map[string]any); bm["type"] == "text" {
				texts = append(texts, row["role"].(string)+": "+bm["text"].(string))
			}
		}
	}
	return texts, rows
}

// lastRequestTo returns the transcript of the newest request that carries prompt.
func lastRequestTo(t *testing.T, h *kt.Harness, prompt string) string {
	t.Helper()
	for i := len(h.Fake.Requests()) - 1; i >= 0; i-- {
		if r := h.Fake.Requests()[i]; strings.Contains(r.LastUser().Text, prompt) {
			return r.Transcript()
		}
	}
	t.Fatalf("no request carried %q", prompt)
	return ""
}

// A conversation the CLI wrote (here through another Konsole on the same
// HOME, as a terminal session would) is listed, read and continued: the
// new session resumes it with its earlier messages imported, and the
// model sees the earlier turns.
func TestHistoryListsReadsAndContinuesTheCLIsConversations(t *testing.T) {
	first := kt.Start(t, kt.Options{})
	st := first.Events(-1)
	sid := idleSession(t, first, st, nil)
	st.Until(t, 60*time.Second, kt.TurnCompleted(first.Prompt(sid, "first question about the parser")))
	st.Until(t, 60*time.Second, kt.TurnCompleted(first.Prompt(sid, "[[bash: echo from-the-tool]] second")))
	_, s := first.Do("GET", "/v1/sessions/"+sid, nil)
	agentID := s["agentSessionId"].(string)
	first.Do("DELETE", "/v1/sessions/"+sid, nil)

	broken := "not json\n" + `{"type":"user","uuid":"u1","cwd":"/elsewhere","message":{"role":"user","content":"hand made"}}` + "\n{\"type\":\"x-new-kind\"}\n{\"type\":\"user\""
	if err := os.MkdirAll(filepath.Join(history.Dir(first.Home), "-elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(history.Dir(first.Home), "-elsewhere", "hand-made.jsonl"), []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}

	h := kt.Start(t, kt.Options{Home: first.Home, Fake: first.Fake})
	status, l := h.Do("GET", "/v1/history", nil)
	if status != http.StatusOK {
		t.Fatalf("history: %d %v", status, l)
	}
	byID := map[string]map[string]any{}
	for _, c := range l["conversations"].([]any) {
		byID[c.(map[string]any)["agentSessionId"].(string)] = c.(map[string]any)
	}
	c := byID[agentID]
	if len(byID) != 2 || c == nil || c["title"] != "first question about the parser" || c["cwd"] != first.Work ||
		c["messages"].(float64) < 5 || c["size"].(float64) == 0 || byID["hand-made"]["title"] != "hand made" {
		t.Fatalf("history = %v", l)
	}
	status, one := h.Do("GET", "/v1/history/"+agentID, nil)
	if status != http.StatusOK || len(one["messages"].([]any)) != int(c["messages"].(float64)) {
		t.Fatalf("history/%s: %d %v", agentID, status, one)
	}
	if status, e := h.Do("GET", "/v1/history/no-such-id", nil); status != http.StatusNotFound || e["code"] != "not_found" {
		t.Fatalf("a missing conversation: %d %v", status, e)
	}

	other := filepath.Join(h.Home, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	if status, e := h.Do("POST", "/v1/sessions", map[string]any{"cwd": other, "resume": agentID}); status != http.StatusBadRequest || !strings.Contains(e["error"].(string), "belongs to") {
		t.Fatalf("resume in another folder: %d %v", status, e)
	}
	if status, e := h.Do("POST", "/v1/sessions", map[string]any{"resume": "no-such-id"}); status != http.StatusNotFound {
		t.Fatalf("resume of a missing conversation: %d %v", status, e)
	}
	hst := h.Events(-1)
	status, ns := h.Do("POST", "/v1/sessions", map[string]any{"cwd": first.Work, "resume": agentID})
	if status != http.StatusCreated || ns["agentSessionId"] != agentID || ns["title"] != "first question about the parser" {
		t.Fatalf("continue: %d %v", status, ns)
	}
	cont := ns["id"].(string)
	if status, e := h.Do("POST", "/v1/sessions", map[string]any{"resume": agentID}); status != http.StatusConflict {
		t.Fatalf("a second continue of one conversation: %d %v", status, e)
	}
	texts, _ := transcriptTexts(t, h, cont)
	joined := strings.Join(texts, "\n")
	if !strings.HasPrefix(joined, "user: first question about the parser\nassistant: Echo: first question about the parser") ||
		!strings.Contains(joined, "from-the-tool") {
		t.Fatalf("imported transcript:\n%s", joined)
	}
	hst.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(cont, "third, after the continue")))
	if seen := lastRequestTo(t, h, "third, after the continue"); !strings.Contains(seen, "first question about the parser") {
		t.Fatalf("the model did not see the earlier turns:\n%s", seen)
	}
	texts, _ = transcriptTexts(t, h, cont)
	if n := len(texts); n < 6 || texts[n-1] != "assistant: Echo: third, after the continue" {
		t.Fatalf("the transcript after the continue: %v", texts)
	}
}

func fileSum(t *testing.T, home, agentID string) string {
	t.Helper()
	p, err := history.Find(home, agentID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// A fork from the second of three prompts shares the first two turns and
// goes on alone; the original's record and transcript are untouched.
func TestForkFromAPromptSharesTheConversationUpToIt(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	for _, p := range []string{"alpha one", "beta two", "gamma three"} {
		st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, p)))
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	agentID := s["agentSessionId"].(string)
	before := fileSum(t, h.Home, agentID)
	origTexts, rows := transcriptTexts(t, h, sid)
	var beta, reply float64
	for _, r := range rows {
		b, _ := json.Marshal(r["content"])
		if r["role"] == "user" && strings.Contains(string(b), "beta two") {
			beta = r["id"].(float64)
		}
		if r["role"] == "assistant" && reply == 0 {
			reply = r["id"].(float64)
		}
	}
	if status, e := h.Do("POST", "/v1/sessions/"+sid+"/fork", map[string]any{"messageId": reply}); status != http.StatusBadRequest {
		t.Fatalf("fork from a reply: %d %v", status, e)
	}
	status, f := h.Do("POST", "/v1/sessions/"+sid+"/fork", map[string]any{"messageId": beta})
	if status != http.StatusCreated || f["forkOf"] != sid || f["fork"].(map[string]any)["from"] != agentID || f["fork"].(map[string]any)["at"] == "" {
		t.Fatalf("fork: %d %v", status, f)
	}
	fid := f["id"].(string)
	texts, _ := transcriptTexts(t, h, fid)
	if got := strings.Join(texts, "|"); got != "user: alpha one|assistant: Echo: alpha one|user: beta two|assistant: Echo: beta two" {
		t.Fatalf("the fork's transcript: %s", got)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(fid, "delta in the fork")))
	seen := lastRequestTo(t, h, "delta in the fork")
	if !strings.Contains(seen, "beta two") || strings.Contains(seen, "gamma three") {
		t.Fatalf("the fork's model saw:\n%s", seen)
	}
	_, fs := h.Do("GET", "/v1/sessions/"+fid, nil)
	if fs["agentSessionId"] == agentID || fs["agentSessionId"] == "" || fs["fork"] != nil {
		t.Fatalf("the fork did not get a conversation of its own: %v", fs)
	}
	if after := fileSum(t, h.Home, agentID); after != before {
		t.Fatal("forking changed the original conversation's file")
	}
	if now, _ := transcriptTexts(t, h, sid); strings.Join(now, "|") != strings.Join(origTexts, "|") {
		t.Fatalf("forking changed the original transcript: %v", now)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, "epsilon in the original")))
	seen = lastRequestTo(t, h, "epsilon in the original")
	if !strings.Contains(seen, "gamma three") || strings.Contains(seen, "delta in the fork") {
		t.Fatalf("the original's model saw:\n%s", seen)
	}
	status, whole := h.Do("POST", "/v1/sessions/"+sid+"/fork", map[string]any{})
	if status != http.StatusCreated || whole["fork"].(map[string]any)["at"] != nil {
		t.Fatalf("fork of the whole conversation: %d %v", status, whole)
	}
}
