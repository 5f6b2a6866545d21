package bridge_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// konsolesFrameWhere waits for a konsoles frame whose list satisfies ok
// and returns that list. Other konsoles frames may come first: a health
// check's first answer (the version) sends one too, and on a busy machine
// it came after the change the test waited for had been asked.
func (c *wsClient) konsolesFrameWhere(ok func([]bridge.KonsoleInfo) bool) []bridge.KonsoleInfo {
	c.t.Helper()
	var list []bridge.KonsoleInfo
	c.until(10*time.Second, func(f frame) bool {
		if f.Type != "konsoles" {
			return false
		}
		var m struct{ Konsoles []bridge.KonsoleInfo }
		json.Unmarshal(f.raw, &m)
		list = m.Konsoles
		return ok(list)
	})
	return list
}

func TestFleetKonsolesAreAddedRenamedDisabledAndRemovedAtRuntime(t *testing.T) {
	local, other := kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{})
	fl := &testFleet{known: map[string]*kt.Harness{other.URL: other}, closed: map[string]int{}}
	h := startFleet(t, []bridge.KonsoleSpec{spec("local", local)}, func(c *bridge.Config) { c.Fleet = fl })
	h.waitState("local", bridge.StateConnected, 10*time.Second)
	ws := h.connect("clientId=admin")

	// The Fleet's own refusals reach the client as they are.
	for body, want := range map[string]string{
		`{"url":"` + other.URL + `","token":"wrong"}`: "401 konsole_unauthorized",
		`{"url":"http://127.0.0.1:1","token":"x"}`:    "502 konsole_unreachable",
		`{"pairing":"konui://nonsense"}`:              "400 pairing_invalid",
		`{"ssh":"ssh://me@host"}`:                     "400 bad_request",
	} {
		st, m := h.call("POST", "/api/konsoles", body)
		if got := fmt.Sprintf("%d %v", st, m["code"]); got != want {
			t.Fatalf("POST %s: %d %v, want %s", body, st, m, want)
		}
	}

	st, added := h.call("POST", "/api/konsoles", `{"name":"Other box","url":"`+other.URL+`","token":"`+other.Token+`"}`)
	if st != http.StatusCreated {
		t.Fatalf("add: %d %v", st, added)
	}
	k := added["konsole"].(map[string]any)
	id := k["id"].(string)
	if k["state"] != "connected" || k["name"] != "Other box" || k["removable"] != true || k["enabled"] != true {
		t.Fatalf("added: %v", k)
	}
	ws.konsolesFrameWhere(func(list []bridge.KonsoleInfo) bool { return len(list) == 2 && list[1].ID == id })
	// Its events come through at once, in the one seq.
	sid := other.CreateSession()
	turn := ws.promptTurn(sid, "on the added one")
	fs := ws.until(60*time.Second, turnDone(turn))
	if len(eventsOf(fs, id)) == 0 {
		t.Fatal("no events from the added Konsole")
	}
	info := h.waitState(id, bridge.StateConnected, 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for info.LatencyMs == nil || info.Version != "test" {
		if time.Now().After(deadline) {
			t.Fatalf("no latency or version measured: %+v", info)
		}
		time.Sleep(50 * time.Millisecond)
		info = h.waitState(id, bridge.StateConnected, time.Second)
	}

	// Renamed: the konsoles frame says so.
	if st, m := h.call("PATCH", "/api/konsoles/"+id, `{"name":"Renamed"}`); st != http.StatusOK || m["konsole"].(map[string]any)["name"] != "Renamed" {
		t.Fatalf("rename: %d %v", st, m)
	}
	ws.konsolesFrameWhere(func(list []bridge.KonsoleInfo) bool { return len(list) == 2 && list[1].Name == "Renamed" })

	// Disabled: not followed; events made meanwhile arrive once enabled
	// again, none lost, none twice.
	if st, m := h.call("PATCH", "/api/konsoles/"+id, `{"enabled":false}`); st != http.StatusOK || m["konsole"].(map[string]any)["state"] != "down" {
		t.Fatalf("disable: %d %v", st, m)
	}
	ws.konsolesFrameWhere(func(list []bridge.KonsoleInfo) bool { return len(list) == 2 && !list[1].Enabled })
	before := ws.seq.Load()
	turn2 := other.Prompt(sid, "while disabled")
	other.Events(0).Until(t, 60*time.Second, kt.TurnCompleted(turn2))
	if st, m := h.call("POST", "/api/sessions", `{"cwd":"`+other.Work+`","konsoleId":"`+id+`"}`); st != http.StatusConflict || m["code"] != "konsole_disabled" {
		t.Fatalf("a session on a disabled Konsole: %d %v", st, m)
	}
	if st, _ := h.call("PATCH", "/api/konsoles/"+id, `{"enabled":true}`); st != http.StatusOK {
		t.Fatalf("enable: %d", st)
	}
	fs = ws.until(30*time.Second, turnDone(turn2))
	ids := map[int64]int{}
	var lastSeq int64 = before
	for _, f := range fs {
		if f.Type == "event" {
			if f.Seq != lastSeq+1 {
				t.Fatalf("seq %d after %d", f.Seq, lastSeq)
			}
			lastSeq = f.Seq
			ids[f.ev().ID]++
		}
	}
	for eid, n := range ids {
		if n != 1 {
			t.Fatalf("event %d delivered %d times", eid, n)
		}
	}
	if len(eventsOf(fs, id)) < 3 {
		t.Fatalf("the turn made while disabled did not come through: %d frames", len(fs))
	}

	// The local one stays; a remote one goes, and its Close runs.
	if st, m := h.call("DELETE", "/api/konsoles/local", ""); st != http.StatusConflict || m["code"] != "conflict" {
		t.Fatalf("delete local: %d %v", st, m)
	}
	if st, m := h.call("PATCH", "/api/konsoles/local", `{"enabled":false}`); st != http.StatusConflict {
		t.Fatalf("disable local: %d %v", st, m)
	}
	if st, _ := h.callRaw("DELETE", "/api/konsoles/"+id, ""); st != http.StatusNoContent {
		t.Fatalf("delete: %d", st)
	}
	ws.konsolesFrameWhere(func(list []bridge.KonsoleInfo) bool { return len(list) == 1 && list[0].ID == "local" })
	fl.mu.Lock()
	closed, removed := fl.closed[id], strings.Join(fl.removed, ",")
	fl.mu.Unlock()
	if closed != 1 || removed != id {
		t.Fatalf("close ran %d times; removed %q", closed, removed)
	}
	if st, m := h.call("GET", "/api/sessions/"+sid, ""); st != http.StatusNotFound || m["code"] != "not_found" {
		t.Fatalf("a removed Konsole's session: %d %v", st, m)
	}

	// AddKonsole in Go: an id in use is a conflict.
	if err := h.b.AddKonsole(spec("local", other)); bridge.ErrorCode(err) != "conflict" {
		t.Fatalf("add a used id: %v", err)
	}
	if err := h.b.AddKonsole(bridge.KonsoleSpec{ID: "Bad ID", URL: other.URL}); bridge.ErrorCode(err) != "bad_request" {
		t.Fatalf("add a bad id: %v", err)
	}
	if err := h.b.RemoveKonsole("nope"); bridge.ErrorCode(err) != "not_found" {
		t.Fatalf("remove an unknown id: %v", err)
	}
}

func TestFleetRoutesRefuseJunkWithJSONErrors(t *testing.T) {
	local := kt.Start(t, kt.Options{})
	ro := startFleet(t, []bridge.KonsoleSpec{spec("local", local)}, nil)
	fl := &testFleet{known: map[string]*kt.Harness{}, closed: map[string]int{}}
	h := startFleet(t, []bridge.KonsoleSpec{spec("local", local)}, func(c *bridge.Config) { c.Fleet = fl })
	h.waitState("local", bridge.StateConnected, 10*time.Second)

	cases := []struct {
		h                  *bridgeHarness
		method, path, body string
		status             int
		code               string
	}{
		{ro, "POST", "/api/konsoles", `{"url":"http://x","token":"t"}`, 405, "fleet_read_only"},
		{ro, "PATCH", "/api/konsoles/local", `{"name":"x"}`, 405, "fleet_read_only"},
		{ro, "DELETE", "/api/konsoles/local", ``, 409, "conflict"},
		{h, "POST", "/api/konsoles", ``, 400, "bad_request"},
		{h, "POST", "/api/konsoles", `nul`, 400, "bad_request"},
		{h, "POST", "/api/konsoles", `[]`, 400, "bad_request"},
		{h, "POST", "/api/konsoles", `{"url":1}`, 400, "bad_request"},
		{h, "POST", "/api/konsoles", `{}`, 400, "bad_request"},
		{h, "POST", "/api/konsoles", `{"url":"http://a","pairing":"konui://pair"}`, 400, "bad_request"},
		{h, "POST", "/api/konsoles", `{"name":"` + strings.Repeat("x", 70000) + `"}`, 413, "too_large"},
		{h, "PUT", "/api/konsoles", `{}`, 405, "method_not_allowed"},
		{h, "GET", "/api/konsoles/local", ``, 405, "method_not_allowed"},
		{h, "GET", "/api/konsoles/local/retry", ``, 405, "method_not_allowed"},
		{h, "POST", "/api/konsoles/nope/retry", ``, 404, "not_found"},
		{h, "PATCH", "/api/konsoles/nope", `{"name":"x"}`, 404, "not_found"},
		{h, "PATCH", "/api/konsoles/local", `{"name":""}`, 400, "bad_request"},
		{h, "PATCH", "/api/konsoles/local", `{"enabled":"yes"}`, 400, "bad_request"},
		{h, "PATCH", "/api/konsoles/local", `"\u0000"`, 400, "bad_request"},
		{h, "DELETE", "/api/konsoles/nope", ``, 404, "not_found"},
		{h, "POST", "/api/sessions", ``, 400, "bad_request"},
		{h, "POST", "/api/sessions", `[1,2]`, 400, "bad_request"},
		{h, "POST", "/api/sessions", `{"konsoleId":5}`, 400, "bad_request"},
		{h, "POST", "/api/sessions", `{"konsoleId":"nope"}`, 404, "not_found"},
		{h, "POST", "/api/sessions", `{"cwd":"relative/path"}`, 400, "bad_request"},
		{h, "GET", "/api/kontasks?cursor=not-base64!", ``, 400, "bad_request"},
		{h, "GET", "/api/kontasks?cursor=e30", ``, 400, "bad_request"},
		{h, "GET", "/api/kontasks?status=bogus", ``, 400, "bad_request"},
		{h, "GET", "/api/models?konsoleId=" + strings.Repeat("z", 300), ``, 404, "not_found"},
	}
	for _, c := range cases {
		st, m := c.h.call(c.method, c.path, c.body)
		if st != c.status || m["code"] != c.code || m["error"] == "" {
			t.Errorf("%s %s %.40q: %d %v, want %d %s", c.method, c.path, c.body, st, m, c.status, c.code)
		}
		// The API's words, not Go's ("cannot unmarshal array into Go value of type bridge.AddKonsole").
		if e, _ := m["error"].(string); strings.Contains(e, "Go ") || strings.Contains(e, "bridge.") || strings.Contains(e, "unmarshal") {
			t.Errorf("%s %s %.40q: %q speaks of Go types", c.method, c.path, c.body, e)
		}
	}
	for body, want := range map[string]string{`[]`: "the body must be a JSON object, not an array", `{"enabled":"yes"}`: `"enabled" must be true or false, not a string`} {
		method, path := "POST", "/api/konsoles"
		if strings.Contains(body, "enabled") {
			method, path = "PATCH", "/api/konsoles/local"
		}
		if _, m := h.call(method, path, body); m["error"] != want {
			t.Errorf("%s %s: %q, want %q", path, body, m["error"], want)
		}
	}
	// A 405 names the methods the path takes.
	for path, allow := range map[string]string{"/api/konsoles": "GET, POST", "/api/konsoles/local": "PATCH, DELETE", "/api/konsoles/local/retry": "POST"} {
		if a := do(t, h.srv.URL, "PUT", path, h.token, false, ""); a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != allow {
			t.Errorf("PUT %s: %d, Allow %q; want 405, Allow %q", path, a.status, a.header.Get("Allow"), allow)
		}
	}
	// lastEventId is in each entry of the list, 0 included.
	if st, m := h.call("GET", "/api/konsoles", ""); st != http.StatusOK {
		t.Fatalf("GET /api/konsoles: %d", st)
	} else if k := m["konsoles"].([]any)[0].(map[string]any); k["lastEventId"] == nil {
		t.Errorf("an entry without lastEventId: %v", k)
	}
	ws := h.connect("clientId=junk")
	for _, fields := range []map[string]any{{"sessionId": "nope", "text": "x"}, {"sessionId": 7, "text": "x"}, {"sessionId": "", "text": "x"}} {
		if a := ws.request("prompt", fields); a.OK || a.Code == "" {
			t.Errorf("prompt %v: %+v", fields, a)
		}
	}
	if st, m := h.call("GET", "/api/health", ""); st != http.StatusOK || m["status"] != "ok" {
		t.Fatalf("health after junk: %d %v", st, m)
	}
}

func TestFleetTheNotifierCatchesUpEachKonsoleOnItsOwn(t *testing.T) {
	local, b := kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{})
	rec, g := newRecorder(), &gate{}
	sb := spec("b", b)
	sb.HTTPClient = &http.Client{Transport: g}
	h := startFleet(t, []bridge.KonsoleSpec{spec("local", local), sb}, func(c *bridge.Config) { c.Notifier, c.StateDir = rec, t.TempDir() })
	h.waitState("local", bridge.StateConnected, 10*time.Second)
	h.waitState("b", bridge.StateConnected, 10*time.Second)
	ws := h.connect("clientId=notes")

	onB := restKontask(t, b, "Live on b")
	if got := rec.wait(t, 10*time.Second); got.ID != onB || got.KonsoleID != "b" {
		t.Fatalf("heard %+v", got)
	}
	// b goes away; the local one's kontasks are heard meanwhile.
	g.shut.Store(true)
	b.Server.Log().EndSubscriptions()
	ws.until(10*time.Second, func(f frame) bool {
		return f.Type == "konsole" && f.KonsoleID == "b" && f.State != bridge.StateConnected
	})
	onLocal := restKontask(t, local, "Live on local while b is away")
	if got := rec.wait(t, 10*time.Second); got.ID != onLocal || got.KonsoleID != "local" {
		t.Fatalf("heard %+v", got)
	}
	missed := restKontask(t, b, "Made on b while the bridge was away")
	g.shut.Store(false)
	if got := rec.wait(t, 15*time.Second); got.ID != missed || got.KonsoleID != "b" || got.Title != "Made on b while the bridge was away" {
		t.Fatalf("after b came back heard %+v", got)
	}
	rec.settled(t, b)
	rec.settled(t, local)
	if rec.count(onB) != 1 || rec.count(onLocal) != 1 || rec.count(missed) != 1 || rec.total() != 5 {
		t.Fatalf("heard %v", rec.got)
	}
}

// "Retry now": a Konsole waiting out a long backoff is connected to at
// once when asked; one that is connected is left alone; an unknown one is
// refused.
func TestFleetRetryNowCutsAKonsolesBackoffShort(t *testing.T) {
	b := kt.Start(t, kt.Options{})
	g := &gate{}
	g.shut.Store(true)
	sb := spec("b", b)
	sb.HTTPClient = &http.Client{Transport: g}
	h := startFleet(t, []bridge.KonsoleSpec{sb}, func(c *bridge.Config) {
		c.Backoff = bridge.Backoff{Min: time.Hour, Max: time.Hour}
	})
	if k := h.waitState("b", bridge.StateReconnecting, 10*time.Second); k.RetryInMs != time.Hour.Milliseconds() {
		t.Fatalf("waiting %d ms, want an hour", k.RetryInMs)
	}
	g.shut.Store(false)
	st, m := h.call("POST", "/api/konsoles/b/retry", "")
	if st != http.StatusAccepted {
		t.Fatalf("retry of a waiting Konsole: %d %v", st, m)
	}
	h.waitState("b", bridge.StateConnected, 10*time.Second)
	if st, m := h.call("POST", "/api/konsoles/b/retry", ""); st != http.StatusOK || m["konsole"].(map[string]any)["state"] != bridge.StateConnected {
		t.Fatalf("retry of a connected Konsole: %d %v", st, m)
	}
	if st, m := h.call("POST", "/api/konsoles/nope/retry", ""); st != http.StatusNotFound || m["code"] != "not_found" {
		t.Fatalf("retry of an unknown Konsole: %d %v", st, m)
	}
}
