package konsole_test

import (
	"encoding/json"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/kontask"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestTheAgentCreatesAKontaskThatRecordsItsSessionAndTurnAndSurvivesARestart(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	input := `{"title":"Status report","description":"All done","output":"<h2>Done</h2>","scope":"konui","tags":["report","e2e"],` +
		`"choices":[{"label":"Ship it","value":"Ship the release","primary":true},{"label":"Wait","value":"Hold the release [for now]"}]}`
	turn := h.Prompt(sid, "[[kontask: "+input+"]]")
	evs := st.Until(t, 90*time.Second, kt.TurnCompleted(turn))
	if e := find(evs, contract.EvPermissionRequest); e != nil {
		t.Fatalf("the CLI asked permission for the kontask tool: %s", e.Data)
	}
	created := find(evs, contract.EvKontaskCreated)
	if created == nil {
		t.Fatalf("no kontask.created; the agent said %q", deltas(evs, turn))
	}
	if created.SessionID != sid || created.TurnID != turn {
		t.Fatalf("kontask.created has session %q turn %q, want %q %q", created.SessionID, created.TurnID, sid, turn)
	}
	k := created.DataMap()["kontask"].(map[string]any)
	if k["sessionId"] != sid || k["requestId"] != turn || k["createdBy"] != "claude" || k["status"] != "pending" || k["title"] != "Status report" {
		t.Fatalf("kontask = %v", k)
	}
	if got := deltas(evs, turn); !strings.Contains(got, "Tool result (ok): Kontask "+k["id"].(string)) {
		t.Fatalf("the agent was told %q", got)
	}
	h.Server.Close()

	h2 := kt.Start(t, kt.Options{DataDir: h.DataDir, Home: h.Home, Fake: h.Fake})
	status, got := h2.Do("GET", "/v1/kontasks/"+k["id"].(string), nil)
	if status != 200 {
		t.Fatalf("after restart: %d %v", status, got)
	}
	a, _ := json.Marshal(k)
	b, _ := json.Marshal(got)
	if string(a) != string(b) {
		t.Fatalf("the kontask changed across the restart:\n%s\n%s", a, b)
	}
}

func TestInvalidToolInputIsAnErrorTheAgentReadsAndStoresNothing(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	var eleven []string
	for i := 0; i < 11; i++ {
		eleven = append(eleven, `{"label":"L`+string(rune('a'+i))+`","value":"do it"}`)
	}
	cases := []struct{ name, input, want string }{
		{"empty title", `{"title":"  "}`, "title is required"},
		{"eleven choices", `{"title":"t","choices":[` + strings.Join(eleven, ",") + `]}`, "choices has 11 entries; at most 10 are allowed"},
		{"empty choice value", `{"title":"t","choices":[{"label":"a","value":""}]}`, "choices[0].value is required"},
		{"unknown status", `{"title":"t","status":"done"}`, `status "done" is not one of pending, completed, dismissed`},
		{"misspelt field", `{"title":"t","choice":[]}`, `unknown field "choice"`},
	}
	for _, c := range cases {
		turn := h.Prompt(sid, "[[kontask: "+c.input+"]]")
		evs := st.Until(t, 90*time.Second, kt.TurnCompleted(turn))
		if e := find(evs, contract.EvKontaskCreated); e != nil {
			t.Fatalf("%s: a kontask was created: %s", c.name, e.Data)
		}
		reqs := h.Fake.Requests()
		last := reqs[len(reqs)-1]
		if len(last.NewResults) != 1 || !last.NewResults[0].IsError || !strings.Contains(last.NewResults[0].Content, c.want) {
			t.Fatalf("%s: the agent got %+v, want an error result containing %q", c.name, last.NewResults, c.want)
		}
		if got := deltas(evs, turn); !strings.Contains(got, "Tool result (error)") {
			t.Fatalf("%s: the agent answered %q", c.name, got)
		}
		if !slices.Contains(last.Tools, kontask.ClaudeToolCreate) {
			t.Fatalf("%s: %s is not loaded up front: tools %v", c.name, kontask.ClaudeToolCreate, last.Tools)
		}
	}
	if _, list := h.Do("GET", "/v1/kontasks", nil); len(list["kontasks"].([]any)) != 0 {
		t.Fatalf("kontasks stored: %v", list)
	}
}
