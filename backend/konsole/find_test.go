package konsole_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// usageScript answers like the default script, with token counts chosen
// by the prompt.
func usageScript(counts map[string]fakeapi.Usage) fakeapi.Script {
	return func(r *fakeapi.Request) fakeapi.Reply {
		reply := fakeapi.DefaultScript(r)
		if u, ok := counts[r.LastUser().Prompt]; ok {
			reply.Usage = &u
		}
		return reply
	}
}

func startWithScript(t *testing.T, script fakeapi.Script) *kt.Harness {
	f, err := fakeapi.Start("127.0.0.1:0", script)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return kt.Start(t, kt.Options{Fake: f})
}

func num(v any) float64 { f, _ := v.(float64); return f }

// Each turn records the tokens the API reported, exactly; the session sums
// them, turn.completed carries them, and GET /v1/usage groups them by day
// and by session with the turns' own costs.
func TestUsageOfEveryTurnIsRecordedAndSummed(t *testing.T) {
	h := startWithScript(t, usageScript(map[string]fakeapi.Usage{
		"first prompt":  {Input: 1234, Output: 56, CacheRead: 700, CacheWrite: 300},
		"second prompt": {Input: 10, Output: 5, CacheRead: 2000, CacheWrite: 0},
	}))
	st := h.Events(-1)
	sid := idleSession(t, h, st, nil)
	var costs float64
	want := [][4]float64{{1234, 56, 700, 300}, {10, 5, 2000, 0}}
	var last map[string]any
	for i, p := range []string{"first prompt", "second prompt"} {
		tid := h.Prompt(sid, p)
		evs := st.Until(t, 60*time.Second, kt.TurnCompleted(tid))
		last = evs[len(evs)-1].DataMap()
		u, _ := last["usage"].(map[string]any)
		got := [4]float64{num(u["inputTokens"]), num(u["outputTokens"]), num(u["cacheReadTokens"]), num(u["cacheWriteTokens"])}
		if got != want[i] {
			t.Fatalf("turn %d usage = %v, want %v (%v)", i, got, want[i], last)
		}
		if num(last["costUsd"]) <= 0 {
			t.Fatalf("turn %d cost = %v", i, last["costUsd"])
		}
		costs += num(last["costUsd"])
	}
	if num(last["contextWindow"]) <= 0 || num(last["contextTokens"]) < 2010 || num(last["contextTokens"]) > 2015 {
		t.Fatalf("context = %v of %v, want the last request's 2,010 to 2,015 tokens", last["contextTokens"], last["contextWindow"])
	}
	_, sess := h.Do("GET", "/v1/sessions/"+sid, nil)
	su, _ := sess["usage"].(map[string]any)
	if num(su["inputTokens"]) != 1244 || num(su["outputTokens"]) != 61 || num(su["cacheReadTokens"]) != 2700 || num(su["cacheWriteTokens"]) != 300 || num(su["turns"]) != 2 {
		t.Fatalf("session usage = %v", su)
	}
	from := url.QueryEscape(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	to := url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	for _, group := range []string{"day", "session"} {
		status, body := h.Do("GET", "/v1/usage?from="+from+"&to="+to+"&groupBy="+group, nil)
		rows, _ := body["rows"].([]any)
		if status != http.StatusOK || len(rows) == 0 {
			t.Fatalf("usage by %s: %d %v", group, status, body)
		}
		var in, out, cr, cw, turns, cost float64
		for _, r := range rows {
			m := r.(map[string]any)
			in, out, cr, cw, turns, cost = in+num(m["inputTokens"]), out+num(m["outputTokens"]), cr+num(m["cacheReadTokens"]), cw+num(m["cacheWriteTokens"]), turns+num(m["turns"]), cost+num(m["costUsd"])
		}
		if in != 1244 || out != 61 || cr != 2700 || cw != 300 || turns != 2 || fmt.Sprintf("%.9f", cost) != fmt.Sprintf("%.9f", costs) {
			t.Fatalf("usage by %s = %v (want the turns' cost %v)", group, rows, costs)
		}
		if group == "session" && (len(rows) != 1 || rows[0].(map[string]any)["key"] != sid) {
			t.Fatalf("by session: %v", rows)
		}
	}
	status, body := h.Do("GET", "/v1/usage?from="+to+"&to="+url.QueryEscape(time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339)), nil)
	if rows, _ := body["rows"].([]any); status != http.StatusOK || len(rows) != 0 {
		t.Fatalf("a later range: %d %v", status, body)
	}
}

// Search finds a session's words, a page of its transcript is newest
// first, export gives Markdown and JSON, and an archived session is still
// found; bad input gets a 400 that says what is wrong.
func TestSearchPagingExportAndArchive(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	st := h.Events(-1)
	sid := idleSession(t, h, st, map[string]any{"title": "Wombat work"})
	for _, p := range []string{"tell me about wombats", "and the platypus"} {
		st.Until(t, 60*time.Second, kt.TurnCompleted(h.Prompt(sid, p)))
	}
	status, body := h.Do("GET", "/v1/search?q=wombat&limit=10", nil)
	hits, _ := body["hits"].([]any)
	if status != http.StatusOK || len(hits) < 2 {
		t.Fatalf("search: %d %v", status, body)
	}
	first := hits[0].(map[string]any)
	if first["kind"] != "message" || first["sessionId"] != sid || !strings.Contains(first["snippet"].(string), "\x02wombat") || first["at"] == "" {
		t.Fatalf("first hit = %v", first)
	}

	_, all := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	msgs := all["messages"].([]any)
	status, page := h.Do("GET", "/v1/sessions/"+sid+"/messages?limit=2", nil)
	pm, _ := page["messages"].([]any)
	newest := msgs[len(msgs)-1].(map[string]any)["id"]
	if status != http.StatusOK || len(pm) != 2 || pm[0].(map[string]any)["id"] != newest || page["hasMore"] != true {
		t.Fatalf("newest page: %d %v (all %d)", status, page, len(msgs))
	}
	before := fmt.Sprint(int64(num(pm[1].(map[string]any)["id"])))
	_, older := h.Do("GET", "/v1/sessions/"+sid+"/messages?before="+before+"&limit=1000", nil)
	if om := older["messages"].([]any); len(om) != len(msgs)-2 || older["hasMore"] != false {
		t.Fatalf("older page: %v", older)
	}

	status, md := h.DoRaw("GET", "/v1/sessions/"+sid+"/export?format=md", nil, h.Token)
	if status != http.StatusOK || !strings.HasPrefix(string(md), "# Wombat work\n") || !strings.Contains(string(md), "## You\n\ntell me about wombats") ||
		!strings.Contains(string(md), "## Claude") || !strings.Contains(string(md), "*Turn completed") {
		t.Fatalf("markdown export: %d %s", status, md)
	}
	status, js := h.DoRaw("GET", "/v1/sessions/"+sid+"/export?format=json", nil, h.Token)
	var exp struct {
		Session  sessions.Session `json:"session"`
		Messages []map[string]any `json:"messages"`
	}
	if status != http.StatusOK || json.Unmarshal(js, &exp) != nil || exp.Session.ID != sid || len(exp.Messages) != len(msgs) {
		t.Fatalf("json export: %d %s", status, js)
	}

	status, s := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"archived": true})
	if status != http.StatusOK || s["archived"] != true {
		t.Fatalf("archive: %d %v", status, s)
	}
	_, list := h.Do("GET", "/v1/sessions", nil)
	if l := list["sessions"].([]any); len(l) != 1 || l[0].(map[string]any)["archived"] != true {
		t.Fatalf("list: %v", list)
	}
	if _, body := h.Do("GET", "/v1/search?q=platypus", nil); len(body["hits"].([]any)) == 0 {
		t.Fatalf("an archived session is not found: %v", body)
	}
	if status, s = h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"archived": false}); status != http.StatusOK || s["archived"] != nil {
		t.Fatalf("unarchive: %d %v", status, s)
	}

	for _, path := range []string{
		"/v1/search", "/v1/search?q=%20%20", "/v1/search?q=a&limit=0", "/v1/search?q=a&limit=x", "/v1/search?q=" + strings.Repeat("a", 501),
		"/v1/sessions/" + sid + "/messages?limit=0", "/v1/sessions/" + sid + "/messages?limit=1001", "/v1/sessions/" + sid + "/messages?before=-1",
		"/v1/sessions/" + sid + "/messages?before=abc", "/v1/sessions/" + sid + "/export?format=pdf",
		"/v1/usage", "/v1/usage?from=yesterday&to=2026-12-01T00:00:00Z", "/v1/usage?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
		"/v1/usage?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&groupBy=week",
	} {
		status, raw := h.DoRaw("GET", path, nil, h.Token)
		var e map[string]any
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		if status != http.StatusBadRequest || e["code"] != "bad_request" || e["error"] == "" {
			t.Fatalf("GET %s = %d %s, want 400 bad_request", path, status, raw)
		}
	}
	for _, path := range []string{"/v1/sessions/nope/messages?limit=5", "/v1/sessions/nope/export?format=md"} {
		if status, _ := h.DoRaw("GET", path, nil, h.Token); status != http.StatusNotFound {
			t.Fatalf("GET %s = %d, want 404", path, status)
		}
	}
	if status, _ := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"archived": "yes"}); status != http.StatusBadRequest {
		t.Fatalf("archived as a string: %d", status)
	}
}
