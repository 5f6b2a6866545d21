package konsole_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func deltas(evs []kt.Event, turnID string) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == contract.EvTextDelta && e.TurnID == turnID {
			b.WriteString(e.DataMap()["text"].(string))
		}
	}
	return b.String()
}

func find(evs []kt.Event, typ string) *kt.Event {
	for i := range evs {
		if evs[i].Type == typ {
			return &evs[i]
		}
	}
	return nil
}

func TestTextTurnStreamsDeltasInOrderAndCompletes(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "hello there from the konsole test")
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))

	if got, want := deltas(evs, turn), "Echo: hello there from the konsole test"; got != want {
		t.Fatalf("deltas joined = %q, want %q", got, want)
	}
	var n int
	var last int64
	for _, e := range evs {
		if e.ID <= last {
			t.Fatalf("event ids not increasing: %d after %d", e.ID, last)
		}
		last = e.ID
		if e.Type == contract.EvTextDelta {
			n++
		}
	}
	if n < 2 {
		t.Fatalf("want the answer in several deltas, got %d", n)
	}
	done := evs[len(evs)-1].DataMap()
	if done["reason"] != "completed" || done["costUsd"] == nil || done["durationMs"] == nil {
		t.Fatalf("turn.completed = %v", done)
	}
	if find(evs, contract.EvTurnStarted) == nil || find(evs, contract.EvMessage) == nil {
		t.Fatal("missing turn.started or message")
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "idle" || s["agentSessionId"] == "" {
		t.Fatalf("session after turn = %v", s)
	}
	_, msgs := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	list := msgs["messages"].([]any)
	if len(list) < 2 || list[0].(map[string]any)["role"] != "user" {
		t.Fatalf("transcript = %v", list)
	}
}

func TestPromptWithEventStreamAcceptAnswersThatTurnAsSSE(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	req, _ := http.NewRequest("POST", h.URL+"/v1/sessions/"+sid+"/prompt", strings.NewReader(`{"text":"stream me"}`))
	req.Header.Set("Authorization", "Bearer "+h.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	c := make(chan kt.Event, 1000)
	if err := kt.ReadSSE(resp.Body, c); err != nil {
		t.Fatal(err)
	}
	close(c)
	var evs []kt.Event
	for e := range c {
		evs = append(evs, e)
	}
	if len(evs) == 0 || evs[0].Type != contract.EvTurnStarted || evs[len(evs)-1].Type != contract.EvTurnCompleted {
		t.Fatalf("want turn.started ... turn.completed, got %d events", len(evs))
	}
	if got := deltas(evs, evs[0].TurnID); got != "Echo: stream me" {
		t.Fatalf("deltas = %q", got)
	}
}

func waitPermission(t *testing.T, st *kt.Stream) kt.Event {
	t.Helper()
	evs := st.Until(t, 60*time.Second, func(e kt.Event) bool { return e.Type == contract.EvPermissionRequest })
	return evs[len(evs)-1]
}

func TestBashPermissionAllowRunsItAndDenyReportsIt(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)

	turn := h.Prompt(sid, "[[bash: echo allowed-output > allowed.txt; cat allowed.txt]]")
	req := waitPermission(t, st).DataMap()
	if req["toolName"] != "Bash" || !strings.Contains(req["input"].(map[string]any)["command"].(string), "allowed.txt") {
		t.Fatalf("permission.request = %v", req)
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["pendingPermissions"].(float64) != 1 {
		t.Fatalf("pendingPermissions = %v", s["pendingPermissions"])
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "allow"}); status != 200 {
		t.Fatalf("allow: %d %v", status, r)
	}
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if !strings.Contains(deltas(evs, turn), "Tool result (ok): allowed-output") {
		t.Fatalf("answer after allow = %q", deltas(evs, turn))
	}
	if res := find(evs, contract.EvPermissionResolved); res == nil || res.DataMap()["behavior"] != "allow" {
		t.Fatal("no permission.resolved allow")
	}
	if _, err := os.Stat(filepath.Join(h.Work, "allowed.txt")); err != nil {
		t.Fatalf("the allowed command did not run: %v", err)
	}

	turn = h.Prompt(sid, "[[bash: echo nope > denied.txt]]")
	req = waitPermission(t, st).DataMap()
	h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "deny", "message": "not today"})
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if got := deltas(evs, turn); !strings.Contains(got, "Tool result (error)") || !strings.Contains(got, "not today") {
		t.Fatalf("answer after deny = %q", got)
	}
	if _, err := os.Stat(filepath.Join(h.Work, "denied.txt")); err == nil {
		t.Fatal("the denied command ran")
	}
}

func TestStopEndsALongAnswerAsInterruptedAndTheConversationGoesOn(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "[[long 2000]]")
	seen := 0
	st.Until(t, 60*time.Second, func(e kt.Event) bool {
		if e.Type == contract.EvTextDelta {
			seen++
		}
		return seen >= 5
	})
	start := time.Now()
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/stop", nil)
	if status != 200 || r["stopped"] != true || r["turnId"] != turn {
		t.Fatalf("stop: %d %v", status, r)
	}
	evs := st.Until(t, 10*time.Second, kt.TurnCompleted(turn))
	took := time.Since(start)
	if reason := evs[len(evs)-1].DataMap()["reason"]; reason != "interrupted" {
		t.Fatalf("reason = %v", reason)
	}
	if took > time.Second {
		t.Fatalf("the turn took %s to end after stop, want under 1 s", took)
	}
	if strings.Contains(deltas(evs, turn), "word2000") {
		t.Fatal("the whole answer streamed despite stop")
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "idle" {
		t.Fatalf("status after stop = %v", s["status"])
	}

	turn2 := h.Prompt(sid, "and now something else")
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(turn2))
	if evs[len(evs)-1].DataMap()["reason"] != "completed" {
		t.Fatalf("next turn = %v", evs[len(evs)-1].DataMap())
	}
	reqs := h.Fake.Requests()
	last := reqs[len(reqs)-1]
	if !strings.Contains(last.Transcript(), "[[long 2000]]") || last.LastUser().Prompt != "and now something else" {
		t.Fatalf("the next turn did not continue the conversation: %q", last.Transcript())
	}
}

func TestStopEscalatesToSignalsWhenTheAgentIgnoresTheInterrupt(t *testing.T) {
	exe, _ := os.Executable()
	h := kt.Start(t, kt.Options{Claude: exe, Configure: func(c *konsole.Config) {
		c.Env = append(c.Env, "KONUI_FAKE_AGENT=ignore-interrupt")
		c.StopGrace, c.EscalateStep = 300*time.Millisecond, 200*time.Millisecond
	}})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "go")
	st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.Type == contract.EvTextDelta })
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	pid := int(s["agentPid"].(float64))
	h.Do("POST", "/v1/sessions/"+sid+"/stop", nil)
	evs := st.Until(t, 10*time.Second, kt.TurnCompleted(turn))
	if reason := evs[len(evs)-1].DataMap()["reason"]; reason != "interrupted" {
		t.Fatalf("reason = %v", reason)
	}
	if pidExists(pid) {
		t.Fatalf("agent %d still alive after escalation", pid)
	}
	_, s = h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "idle" {
		t.Fatalf("status = %v (lastError %v)", s["status"], s["lastError"])
	}
}

func TestGarbageFromTheAgentIsSkipped(t *testing.T) {
	exe, _ := os.Executable()
	h := kt.Start(t, kt.Options{Claude: exe, Configure: func(c *konsole.Config) {
		c.Env = append(c.Env, "KONUI_FAKE_AGENT=garbage")
	}})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "go")
	evs := st.Until(t, 10*time.Second, kt.TurnCompleted(turn))
	if deltas(evs, turn) != "survived" || evs[len(evs)-1].DataMap()["reason"] != "completed" {
		t.Fatalf("turn through garbage: %q %v", deltas(evs, turn), evs[len(evs)-1].DataMap())
	}
}

func TestAnAgentThatCrashesLeavesTheSessionInErrorWithItsStderr(t *testing.T) {
	exe, _ := os.Executable()
	h := kt.Start(t, kt.Options{Claude: exe, Configure: func(c *konsole.Config) {
		c.Env = append(c.Env, "KONUI_FAKE_AGENT=crash")
	}})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "go")
	evs := st.Until(t, 10*time.Second, kt.TurnCompleted(turn))
	if d := evs[len(evs)-1].DataMap(); d["reason"] != "error" || !strings.Contains(d["error"].(string), "crashed on purpose") {
		t.Fatalf("turn.completed = %v", d)
	}
	st.Until(t, 5*time.Second, func(e kt.Event) bool {
		if e.Type != contract.EvSessionUpdated {
			return false
		}
		s := e.DataMap()["session"].(map[string]any)
		return s["status"] == "error" && strings.Contains(s["lastError"].(string), "crashed on purpose")
	})
}

func TestKilledAgentGivesAnErrorSessionThatTheNextPromptResumes(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	first := h.Prompt(sid, "remember the word pineapple")
	st.Until(t, 60*time.Second, kt.TurnCompleted(first))

	turn := h.Prompt(sid, "[[long 3000]]")
	st.Until(t, 60*time.Second, func(e kt.Event) bool { return e.Type == contract.EvTextDelta })
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	agentSession := s["agentSessionId"].(string)
	killPid(int(s["agentPid"].(float64)))
	evs := st.Until(t, 20*time.Second, kt.TurnCompleted(turn))
	if evs[len(evs)-1].DataMap()["reason"] != "error" {
		t.Fatalf("turn after kill = %v", evs[len(evs)-1].DataMap())
	}
	_, s = h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "error" || s["lastError"] == nil {
		t.Fatalf("session after kill = %v", s)
	}
	if find(evs, contract.EvAgentExited) == nil {
		t.Fatal("no agent.exited event")
	}

	next := h.Prompt(sid, "what was the word?")
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(next))
	if evs[len(evs)-1].DataMap()["reason"] != "completed" {
		t.Fatalf("resumed turn = %v", evs[len(evs)-1].DataMap())
	}
	reqs := h.Fake.Requests()
	if tr := reqs[len(reqs)-1].Transcript(); !strings.Contains(tr, "pineapple") {
		t.Fatalf("the restarted agent did not resume the conversation: %q", tr)
	}
	_, s = h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["agentSessionId"] != agentSession || s["status"] != "idle" {
		t.Fatalf("session after resume = %v (was %s)", s, agentSession)
	}
}

func TestRestartReplaysExactlyTheMissedEventsAndResumesSessions(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(0)
	turn := h.Prompt(sid, "first turn before the restart")
	before := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	st.Close()
	cut := before[len(before)/2].ID
	h.Server.Close()

	h2 := kt.Start(t, kt.Options{DataDir: h.DataDir, Home: h.Home, Fake: h.Fake})
	// Ids keep growing across the restart.
	st2 := h2.Events(cut)
	var want []int64
	for _, e := range before {
		if e.ID > cut {
			want = append(want, e.ID)
		}
	}
	got := st2.Until(t, 10*time.Second, func(e kt.Event) bool { return e.ID == before[len(before)-1].ID })
	var ids []int64
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if len(ids) < len(want) || !equalIDs(ids[:len(want)], want) {
		t.Fatalf("replay after restart = %v, want %v", ids, want)
	}
	for i, e := range got[:len(want)] {
		var orig = before[len(before)-len(want)+i]
		a, _ := json.Marshal(e.Event)
		b, _ := json.Marshal(orig.Event)
		if string(a) != string(b) {
			t.Fatalf("replayed event differs:\n%s\n%s", a, b)
		}
	}
	_, list := h2.Do("GET", "/v1/sessions", nil)
	if n := len(list["sessions"].([]any)); n != 1 {
		t.Fatalf("sessions after restart: %d", n)
	}
	next := h2.Prompt(sid, "second turn after the restart")
	evs := st2.Until(t, 60*time.Second, kt.TurnCompleted(next))
	if evs[len(evs)-1].ID <= before[len(before)-1].ID {
		t.Fatal("event ids did not grow across the restart")
	}
	reqs := h.Fake.Requests()
	if tr := reqs[len(reqs)-1].Transcript(); !strings.Contains(tr, "first turn before the restart") {
		t.Fatalf("the session did not resume after the restart: %q", tr)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
