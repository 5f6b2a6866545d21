package bridge_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func TestDeltasArriveInOrderThroughTheBridge(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()
	sid := k.CreateSession()
	c := h.connect("clientId=a")
	ack := c.request("prompt", map[string]any{"sessionId": sid, "text": "through the bridge please"})
	if !ack.OK {
		t.Fatalf("prompt ack: %s", ack.Error)
	}
	var r struct{ TurnID string }
	if err := json.Unmarshal(ack.Result, &r); err != nil {
		t.Fatal(err)
	}
	frames := c.until(60*time.Second, turnDone(r.TurnID))
	var text strings.Builder
	var lastSeq, lastID int64
	for _, f := range frames {
		if f.Type != "event" {
			continue
		}
		if f.Seq != lastSeq+1 && lastSeq != 0 {
			t.Fatalf("seq %d after %d", f.Seq, lastSeq)
		}
		lastSeq = f.Seq
		e := f.ev()
		if e.ID <= lastID {
			t.Fatalf("event id %d after %d", e.ID, lastID)
		}
		lastID = e.ID
		if e.Type == "text.delta" {
			text.WriteString(e.text())
		}
	}
	if text.String() != "Echo: through the bridge please" {
		t.Fatalf("deltas = %q", text.String())
	}
}

func TestAClientThatDropsAndResumesWithSinceGetsNoGapAndNoDuplicate(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()
	sid := k.CreateSession()
	c := h.connect("clientId=resumer")
	ack := c.request("prompt", map[string]any{"sessionId": sid, "text": "[[long 120]]"})
	var r struct{ TurnID string }
	if err := json.Unmarshal(ack.Result, &r); err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	var seqs []int64
	record := func(fs []frame) {
		for _, f := range fs {
			if f.Type != "event" {
				continue
			}
			if seen[f.Seq] {
				t.Fatalf("duplicate seq %d", f.Seq)
			}
			seen[f.Seq] = true
			seqs = append(seqs, f.Seq)
		}
	}
	n := 0
	record(c.until(30*time.Second, func(f frame) bool {
		if f.Type == "event" && f.ev().Type == "text.delta" {
			n++
		}
		return n == 10
	}))
	// Resume after the last frame this client handled: its reader may
	// already hold later ones it never got to, as a real client's buffer can.
	last := seqs[len(seqs)-1]
	c.conn.Close(websocket.StatusNormalClosure, "bye")
	time.Sleep(300 * time.Millisecond) // events keep coming while it is away
	c2 := h.connect("clientId=resumer&since=" + itoa(last))
	record(c2.until(60*time.Second, turnDone(r.TurnID)))
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("gap: seq %d after %d", seqs[i], seqs[i-1])
		}
	}
}

func TestASecondConnectionWithTheSameClientIDClosesTheFirstWith4000(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	first := h.connect("clientId=same")
	second := h.connect("clientId=same")
	select {
	case err := <-first.closed:
		if closeCode(err) != 4000 {
			t.Fatalf("first closed with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first connection was not closed")
	}
	if ack := second.request("ping", nil); !ack.OK {
		t.Fatal("the second connection does not work")
	}
	other := h.connect("clientId=other")
	if ack := other.request("ping", nil); !ack.OK {
		t.Fatal("a different clientId was affected")
	}
}

func TestBadTokenAndForeignOriginAreRefused(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	// The desktop window's own bridge, which allows the Wails origins.
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.Origins = bridge.WailsOrigins })
	_, resp, err := h.dial("token=wrong", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: err %v resp %v", err, resp)
	}
	_, resp, err = h.dial("", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: err %v", err)
	}
	_, resp, err = h.dial("token="+h.token, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v resp %v", err, resp)
	}
	for _, o := range []string{"wails://wails", "http://wails.localhost", h.srv.URL} {
		if _, _, err := h.dial("token="+h.token, http.Header{"Origin": {o}}); err != nil {
			t.Fatalf("origin %s refused: %v", o, err)
		}
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	req.Header.Set("Origin", "https://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site REST call: %v %v", err, resp.StatusCode)
	}
	resp, _ = http.Get(h.srv.URL + "/api/sessions")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("REST without token: %d", resp.StatusCode)
	}
}

func TestTheRESTAPIIsProxiedWithTheBridgeToken(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	body := strings.NewReader(`{"cwd":"` + k.Work + `"}`)
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/sessions?token="+h.token, body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create through proxy: %v %d", err, resp.StatusCode)
	}
	resp, _ = http.Get(h.srv.URL + "/api/sessions?token=" + h.token)
	var list struct{ Sessions []map[string]any }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatal(err)
	}
	if len(list.Sessions) != 1 {
		t.Fatalf("sessions via proxy: %v", list)
	}
	resp, _ = http.Get(h.srv.URL + "/api/sessions/nope?token=" + h.token)
	if resp.StatusCode != 404 {
		t.Fatalf("unknown session via proxy: %d", resp.StatusCode)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestTheDesktopOriginMayCallTheRESTAPIAndOthersGetNoCORS(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, func(c *bridge.Config) { c.Origins = bridge.WailsOrigins })
	pre, _ := http.NewRequest("OPTIONS", h.srv.URL+"/api/sessions", nil)
	pre.Header.Set("Origin", "wails://wails")
	pre.Header.Set("Access-Control-Request-Method", "GET")
	pre.Header.Set("Access-Control-Request-Headers", "authorization")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "wails://wails" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest("GET", h.srv.URL+"/api/sessions", nil)
	req.Header.Set("Origin", "wails://wails")
	req.Header.Set("Authorization", "Bearer "+h.token)
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "wails://wails" {
		t.Fatalf("desktop call: %d %v", resp.StatusCode, resp.Header)
	}
	pre.Header.Set("Origin", "https://evil.example")
	resp, _ = http.DefaultClient.Do(pre)
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a foreign origin got CORS headers")
	}
}
