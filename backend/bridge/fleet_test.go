package bridge_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func TestFleetRoutesEachSessionAndKontaskToItsKonsoleAndMergesTheLists(t *testing.T) {
	local, b, c := kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{})
	// Made before the bridge follows them: only a lookup can find these.
	sidC := c.CreateSession()
	sidB0 := b.CreateSession()
	var kid string
	if status, r := b.Do("POST", "/v1/kontasks", map[string]any{"title": "Pick on b", "sessionId": sidB0,
		"choices": []map[string]any{{"label": "Go", "value": "go on b"}}}); status == http.StatusCreated {
		kid = r["id"].(string)
	} else {
		t.Fatalf("kontask on b: %d %v", status, r)
	}
	h := startFleet(t, []bridge.KonsoleSpec{spec("local", local), spec("b", b), spec("c", c)}, nil)
	for _, id := range []string{"local", "b", "c"} {
		h.waitState(id, bridge.StateConnected, 10*time.Second)
	}
	ws := h.connect("clientId=fleet")

	// POST /api/sessions goes where konsoleId says, the local one by default.
	status, sb := h.call("POST", "/api/sessions", `{"cwd":"`+b.Work+`","konsoleId":"b"}`)
	if status != http.StatusCreated || sb["konsoleId"] != "b" {
		t.Fatalf("create on b: %d %v", status, sb)
	}
	sidB := sb["id"].(string)
	if st, _ := b.Do("GET", "/v1/sessions/"+sidB, nil); st != http.StatusOK {
		t.Fatalf("the session is not on b: %d", st)
	}
	status, sl := h.call("POST", "/api/sessions", `{"cwd":"`+local.Work+`"}`)
	if status != http.StatusCreated || sl["konsoleId"] != "local" {
		t.Fatalf("create by default: %d %v", status, sl)
	}
	sidL := sl["id"].(string)

	// The merged list has all three, each with its Konsole.
	status, list := h.call("GET", "/api/sessions", "")
	if status != http.StatusOK {
		t.Fatalf("list: %d %v", status, list)
	}
	where := map[string]string{}
	for _, s := range list["sessions"].([]any) {
		m := s.(map[string]any)
		where[m["id"].(string)] = m["konsoleId"].(string)
	}
	if where[sidB] != "b" || where[sidC] != "c" || where[sidL] != "local" || len(list["unavailable"].([]any)) != 0 {
		t.Fatalf("merged list: %v", list)
	}

	// Per-session routes and prompts go to the session's Konsole; every
	// frame says which Konsole it is from, and seq stays one counter.
	if st, s := h.call("GET", "/api/sessions/"+sidC, ""); st != http.StatusOK || s["id"] != sidC {
		t.Fatalf("GET session on c: %d %v", st, s)
	}
	turnC := ws.promptTurn(sidC, "hello c")
	fs := ws.until(60*time.Second, turnDone(turnC))
	turnB := ws.promptTurn(sidB, "hello b")
	fs = append(fs, ws.until(60*time.Second, turnDone(turnB))...)
	var text = map[string]string{}
	var last int64
	for _, f := range fs {
		if f.Type != "event" {
			continue
		}
		if last != 0 && f.Seq != last+1 {
			t.Fatalf("seq %d after %d", f.Seq, last)
		}
		last = f.Seq
		if e := f.ev(); e.Type == "text.delta" {
			text[f.KonsoleID] += e.text()
		}
	}
	if text["c"] != "Echo: hello c" || text["b"] != "Echo: hello b" || text["local"] != "" {
		t.Fatalf("deltas by Konsole: %q", text)
	}
	if st, m := h.call("GET", "/api/sessions/"+sidB+"/messages", ""); st != http.StatusOK || !strings.Contains(mustMarshal(m), "hello b") {
		t.Fatalf("messages of b's session: %d %v", st, m)
	}
	if st, m := h.call("GET", "/api/sessions/no-such-session", ""); st != http.StatusNotFound || m["code"] != "not_found" {
		t.Fatalf("unknown session: %d %v", st, m)
	}
	if a := ws.request("stop", map[string]any{"sessionId": "no-such-session"}); a.OK || a.Code != "not_found" {
		t.Fatalf("stop of an unknown session: %+v", a)
	}

	// Kontasks: merged, each with its Konsole; the one made before the
	// bridge came is found by a lookup, and its choice prompts on b.
	status, kl := h.call("GET", "/api/kontasks", "")
	if status != http.StatusOK || !strings.Contains(mustMarshal(kl), `"konsoleId":"b"`) || kl["total"].(float64) != 1 {
		t.Fatalf("kontasks: %d %v", status, kl)
	}
	if st, k := h.call("GET", "/api/kontasks/"+kid, ""); st != http.StatusOK || k["id"] != kid {
		t.Fatalf("kontask on b: %d %v", st, k)
	}
	a := ws.request("kontask.choose", map[string]any{"kontaskId": kid, "value": "go on b"})
	if !a.OK {
		t.Fatalf("choose: %s", a.Error)
	}
	var chosen struct{ TurnID string }
	if err := json.Unmarshal(a.Result, &chosen); err != nil {
		t.Fatal(err)
	}
	answer := ""
	for _, f := range eventsOf(ws.until(60*time.Second, turnDone(chosen.TurnID)), "b") {
		if e := f.ev(); e.Type == "text.delta" && e.TurnID == chosen.TurnID {
			answer += e.text()
		}
	}
	if answer != "Echo: go on b" {
		t.Fatalf("the choice answered %q on b", answer)
	}
	if a := ws.request("kontask.choose", map[string]any{"kontaskId": "no-such-kontask", "value": "x"}); a.OK || a.Code != "not_found" {
		t.Fatalf("choose an unknown kontask: %+v", a)
	}

	// Search covers every Konsole.
	status, hits := h.call("GET", "/api/search?q=hello", "")
	if status != http.StatusOK {
		t.Fatalf("search: %d %v", status, hits)
	}
	by := map[string]int{}
	for _, hit := range hits["hits"].([]any) {
		by[hit.(map[string]any)["konsoleId"].(string)]++
	}
	if by["b"] == 0 || by["c"] == 0 {
		t.Fatalf("search hits by Konsole: %v (%v)", by, hits)
	}
	if st, m := h.call("GET", "/api/search?q=", ""); st != http.StatusBadRequest || m["code"] != "bad_request" {
		t.Fatalf("a bad search passes the Konsoles' error: %d %v", st, m)
	}

	// ?konsoleId= picks the Konsole of the others.
	if st, m := h.call("GET", "/api/agent?konsoleId=c", ""); st != http.StatusOK {
		t.Fatalf("agent of c: %d %v", st, m)
	}
	if st, m := h.call("GET", "/api/agent?konsoleId=nope", ""); st != http.StatusNotFound || m["code"] != "not_found" {
		t.Fatalf("agent of an unknown Konsole: %d %v", st, m)
	}

	// hello and /api/health list them all; the old "konsole" is the local one.
	raw := h.helloRaw()
	var hl struct {
		Konsole  struct{ URL, State string }
		Konsoles []bridge.KonsoleInfo
	}
	if err := json.Unmarshal(raw, &hl); err != nil {
		t.Fatal(err)
	}
	if len(hl.Konsoles) != 3 || hl.Konsole.URL != local.URL || hl.Konsoles[1].ID != "b" || hl.Konsoles[1].State != "connected" {
		t.Fatalf("hello: %s", raw)
	}
	st, health := h.call("GET", "/api/health", "")
	if st != http.StatusOK || health["konsole"].(map[string]any)["url"] != local.URL || len(health["konsoles"].([]any)) != 3 {
		t.Fatalf("health: %v", health)
	}
}

// helloRaw connects once more and returns the hello frame as sent.
func (h *bridgeHarness) helloRaw() []byte {
	h.t.Helper()
	c, _, err := h.dial("token="+h.token, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return c.next(5 * time.Second).raw
}

func mustMarshal(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestFleetAKonsoleThatHangsDelaysNoOther(t *testing.T) {
	local, b := kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{})
	slow := blackhole(t)
	// A request to the silent one waits a minute (RequestTimeout): what
	// ends sooner than that did not wait for it. (Bounds of a few hundred
	// ms over the 2 s, and a turn of b within 3 s, failed on a busy machine.)
	const requestTimeout = time.Minute
	h := startFleet(t, []bridge.KonsoleSpec{spec("local", local), spec("b", b), {ID: "slow", Name: "Slow", URL: slow, Token: "x"}}, func(c *bridge.Config) {
		c.RequestTimeout = requestTimeout
	})
	h.waitState("local", bridge.StateConnected, 10*time.Second)
	h.waitState("b", bridge.StateConnected, 10*time.Second)
	sid := b.CreateSession()
	ws := h.connect("clientId=slow")

	// The merged list leaves the silent one out after its 2 s (MergeTimeout),
	// not after the request's own timeout.
	began := time.Now()
	status, list := h.call("GET", "/api/sessions", "")
	took := time.Since(began)
	if status != http.StatusOK || mustMarshal(list["unavailable"]) != `["slow"]` || !strings.Contains(mustMarshal(list), sid) {
		t.Fatalf("merged list: %d %v", status, list)
	}
	if took < 1900*time.Millisecond || took > requestTimeout/2 {
		t.Fatalf("the merged list took %s, want the 2 s of the silent Konsole", took)
	}

	// A request to the silent one hangs; meanwhile the others answer: b's
	// turn and session come while it still hangs.
	hung := make(chan int, 1)
	hangCtx, stopHanging := context.WithCancel(context.Background())
	defer stopHanging()
	go func() {
		req, _ := http.NewRequestWithContext(hangCtx, "GET", h.srv.URL+"/api/models?konsoleId=slow", nil)
		req.Header.Set("Authorization", "Bearer "+h.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			hung <- 0
			return
		}
		resp.Body.Close()
		hung <- resp.StatusCode
	}()
	turn := ws.promptTurn(sid, "not held up")
	ws.until(60*time.Second, turnDone(turn))
	if st, _ := h.call("GET", "/api/sessions/"+sid, ""); st != http.StatusOK {
		t.Fatalf("b's session: %d", st)
	}
	select {
	case code := <-hung:
		t.Fatalf("the request to the hanging Konsole ended (%d) before b's turn and session did", code)
	default:
	}
	stopHanging()
	if code := <-hung; code != 0 {
		t.Fatalf("the request to the hanging Konsole answered %d", code)
	}
	// An unknown session is looked up everywhere: the silent one is named.
	if st, m := h.call("GET", "/api/sessions/nowhere", ""); st != http.StatusBadGateway || !strings.Contains(m["error"].(string), "Slow did not answer") {
		t.Fatalf("lookup beside a silent Konsole: %d %v", st, m)
	}
	if info := h.waitState("slow", bridge.StateConnecting, time.Second); info.Enabled != true {
		t.Fatalf("slow: %+v", info)
	}
}
