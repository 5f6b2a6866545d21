package konsole_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func TestBadInputGetsAClearJSONErrorAndChangesNothing(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	big := `{"text":"` + strings.Repeat("a", konsole.MaxBodyBytes+10) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		token              string
		status             int
		code               string
	}{
		{"malformed JSON", "POST", "/v1/sessions", `{"cwd":`, h.Token, 400, "bad_request"},
		{"two JSON values", "POST", "/v1/sessions", `{"cwd":"/tmp"}{}`, h.Token, 400, "bad_request"},
		{"empty body", "POST", "/v1/sessions", "", h.Token, 400, "bad_request"},
		{"missing cwd", "POST", "/v1/sessions", `{}`, h.Token, 400, "bad_request"},
		{"relative cwd", "POST", "/v1/sessions", `{"cwd":"work/dir"}`, h.Token, 400, "bad_request"},
		{"cwd not a folder", "POST", "/v1/sessions", `{"cwd":"/nonexistent/konui"}`, h.Token, 400, "bad_request"},
		{"bad permission mode", "POST", "/v1/sessions", `{"cwd":"/tmp","permissionMode":"yolo"}`, h.Token, 400, "bad_request"},
		{"prompt text over 1 MiB", "POST", "/v1/sessions/" + sid + "/prompt", big, h.Token, 413, "too_large"},
		{"body over 1 MiB", "PATCH", "/v1/sessions/" + sid, `{"title":"` + strings.Repeat("a", konsole.MaxBodyBytes+10) + `"}`, h.Token, 413, "too_large"},
		{"prompt body over its limit", "POST", "/v1/sessions/" + sid + "/prompt", `{"text":"hi","images":[{"mediaType":"image/png","data":"` + strings.Repeat("A", konsole.PromptBodyBytes) + `"}]}`, h.Token, 413, "too_large"},
		{"no token", "GET", "/v1/sessions", nil, "", 401, "unauthorized"},
		{"wrong token", "GET", "/v1/sessions", nil, "wrong", 401, "unauthorized"},
		{"wrong token on events", "GET", "/v1/events", nil, h.Token + "x", 401, "unauthorized"},
		{"unknown session", "GET", "/v1/sessions/nope", nil, h.Token, 404, "not_found"},
		{"prompt to unknown session", "POST", "/v1/sessions/nope/prompt", `{"text":"hi"}`, h.Token, 404, "not_found"},
		{"empty prompt", "POST", "/v1/sessions/" + sid + "/prompt", `{"text":"  "}`, h.Token, 400, "bad_request"},
		{"stop when idle", "POST", "/v1/sessions/" + sid + "/stop", nil, h.Token, 409, "conflict"},
		{"unknown permission request", "POST", "/v1/sessions/" + sid + "/permissions/req-nope", `{"behavior":"allow"}`, h.Token, 404, "not_found"},
		{"bad behavior", "POST", "/v1/sessions/" + sid + "/permissions/req-nope", `{"behavior":"maybe"}`, h.Token, 400, "bad_request"},
		{"unknown route", "GET", "/v1/nothing-here", nil, h.Token, 404, "not_found"},
		{"wrong method", "PUT", "/v1/sessions", nil, h.Token, 405, "method_not_allowed"},
		{"empty title", "PATCH", "/v1/sessions/" + sid, `{"title":" "}`, h.Token, 400, "bad_request"},
		{"rename unknown session", "PATCH", "/v1/sessions/nope", `{"title":"x"}`, h.Token, 404, "not_found"},
		{"bad since", "GET", "/v1/events?since=abc", nil, h.Token, 400, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, raw := h.DoRaw(c.method, c.path, c.body, c.token)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, raw)
			}
			if !strings.Contains(string(raw), `"code":"`+c.code+`"`) || !strings.Contains(string(raw), `"error":"`) {
				t.Fatalf("error body %s, want code %s", raw, c.code)
			}
			if c.token != "" && c.token != h.Token && strings.Contains(string(raw), c.token) {
				t.Fatal("the error echoes the token")
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		req, _ := http.NewRequest("POST", h.URL+"/v1/sessions", strings.NewReader(`{"cwd":"/tmp"}`))
		req.Header.Set("Authorization", "Bearer "+h.Token)
		req.Header.Set("Content-Type", "text/plain")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("token as query parameter works", func(t *testing.T) {
		status, _ := h.DoRaw("GET", "/v1/sessions?token="+h.Token, nil, "")
		if status != 200 {
			t.Fatalf("status %d", status)
		}
	})
	t.Run("rename", func(t *testing.T) {
		status, s := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": "Renamed"})
		if status != 200 || s["title"] != "Renamed" {
			t.Fatalf("%d %v", status, s)
		}
	})
	t.Run("healthz needs no token", func(t *testing.T) {
		status, raw := h.DoRaw("GET", "/healthz", nil, "")
		if status != 200 || !strings.Contains(string(raw), `"status":"ok"`) {
			t.Fatalf("%d %s", status, raw)
		}
	})

	// Nothing above created a session or a turn.
	_, list := h.Do("GET", "/v1/sessions", nil)
	if n := len(list["sessions"].([]any)); n != 1 {
		t.Fatalf("bad requests changed the sessions: %d", n)
	}
	_, msgs := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	if n := len(msgs["messages"].([]any)); n != 0 {
		t.Fatalf("bad requests wrote %d messages", n)
	}

	t.Run("prompt while a turn runs is refused with 409", func(t *testing.T) {
		st := h.Events(-1)
		turn := h.Prompt(sid, "[[long 400]]")
		status, raw := h.DoRaw("POST", "/v1/sessions/"+sid+"/prompt", `{"text":"second"}`, h.Token)
		if status != 409 || !strings.Contains(string(raw), "already running") {
			t.Fatalf("%d %s", status, raw)
		}
		h.Do("POST", "/v1/sessions/"+sid+"/stop", nil)
		st.Until(t, 10*time.Second, kt.TurnCompleted(turn))
	})
	t.Run("a repeated clientMessageId returns the same turn", func(t *testing.T) {
		st := h.Events(-1)
		body := map[string]any{"text": "once only", "clientMessageId": "cm-1"}
		_, a := h.Do("POST", "/v1/sessions/"+sid+"/prompt", body)
		st.Until(t, 60*time.Second, kt.TurnCompleted(a["turnId"].(string)))
		status, b := h.Do("POST", "/v1/sessions/"+sid+"/prompt", body)
		if status != 202 || b["turnId"] != a["turnId"] || b["duplicate"] != true {
			t.Fatalf("repeat: %d %v (first %v)", status, b, a)
		}
	})
}

func TestEndingASessionStopsItsAgentAndAPromptRestartsIt(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "before ending")
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if status, _ := h.DoRaw("DELETE", "/v1/sessions/"+sid, nil, h.Token); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "exited" || s["agentPid"] != nil {
		t.Fatalf("after delete: %v", s)
	}
	turn = h.Prompt(sid, "after ending")
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if evs[len(evs)-1].DataMap()["reason"] != "completed" {
		t.Fatal("the ended session did not restart")
	}
	reqs := h.Fake.Requests()
	if !strings.Contains(reqs[len(reqs)-1].Transcript(), "before ending") {
		t.Fatal("the restarted session did not resume")
	}
}

// The CLI started again with --resume counts the conversation's cost from
// where it was (its total_cost_usd goes on from the earlier turns): the
// first turn after it is charged its own cost, not the whole session's
// once more.
func TestATurnAfterTheAgentRestartsCostsOnlyItself(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	cost := func(turn string) float64 {
		t.Helper()
		evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
		c, _ := evs[len(evs)-1].DataMap()["costUsd"].(float64)
		if c <= 0 {
			t.Fatalf("turn %s: costUsd %v", turn, evs[len(evs)-1].DataMap()["costUsd"])
		}
		return c
	}
	first := cost(h.Prompt(sid, "one"))
	if status, _ := h.DoRaw("DELETE", "/v1/sessions/"+sid, nil, h.Token); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	second := cost(h.Prompt(sid, "two"))
	third := cost(h.Prompt(sid, "six"))
	// The fake API answers each of these with the same usage.
	for _, c := range []float64{second, third} {
		if math.Abs(c-first) > first/100 {
			t.Fatalf("turn costs %v, %v, %v: the same usage should cost the same", first, second, third)
		}
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if total, _ := s["totalCostUsd"].(float64); math.Abs(total-(first+second+third)) > first/100 {
		t.Fatalf("session total %v, turns %v + %v + %v", total, first, second, third)
	}
}
