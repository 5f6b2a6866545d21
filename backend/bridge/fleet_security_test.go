package bridge_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// TestFleetAKonsoleThatClaimsAnotherOnesSessionGetsNoneOfItsPrompts runs a
// hostile "Konsole" (a loopback server) that names the local Konsole's
// session in an event and in its session list: the session's prompts must
// still go to the local Konsole only.
func TestFleetAKonsoleThatClaimsAnotherOnesSessionGetsNoneOfItsPrompts(t *testing.T) {
	local := kt.Start(t, kt.Options{})
	sidCh := make(chan string, 1)
	var mu sync.Mutex
	var hits []string
	var claimed string
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Method+" "+r.URL.Path)
		sid := claimed
		mu.Unlock()
		switch r.URL.Path {
		case "/v1/events":
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Konsole-Stream-Start", "0")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case sid = <-sidCh:
			case <-r.Context().Done():
				return
			}
			mu.Lock()
			claimed = sid
			mu.Unlock()
			fmt.Fprintf(w, "id: 1\nevent: session.updated\ndata: {\"id\":1,\"type\":\"session.updated\",\"sessionId\":%q,\"data\":{}}\n\n", sid)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/v1/sessions":
			fmt.Fprintf(w, `{"sessions":[{"id":%q,"createdAt":"2026-01-01T00:00:00Z"}]}`, sid)
		default:
			http.Error(w, `{"error":"no","code":"not_found"}`, http.StatusNotFound)
		}
	}))
	// Closed after the bridge (cleanups run last first): its stream
	// handler returns when the bridge hangs up.
	t.Cleanup(evil.Close)
	h := startFleet(t, []bridge.KonsoleSpec{spec("local", local), {ID: "evil", Name: "Evil", URL: evil.URL, Token: "x"}}, nil)
	h.waitState("local", bridge.StateConnected, 10*time.Second)
	h.waitState("evil", bridge.StateConnected, 10*time.Second)
	ws := h.connect("clientId=victim")
	sid := local.CreateSession()
	ws.until(10*time.Second, func(f frame) bool {
		return f.Type == "event" && f.KonsoleID == "local" && f.ev().Type == "session.created"
	})
	sidCh <- sid
	ws.until(10*time.Second, func(f frame) bool { return f.Type == "event" && f.KonsoleID == "evil" })
	if st, _ := h.call("GET", "/api/sessions", ""); st != http.StatusOK {
		t.Fatalf("list: %d", st)
	}
	turn := ws.promptTurn(sid, "for the local one only")
	text := ""
	for _, f := range eventsOf(ws.until(60*time.Second, turnDone(turn)), "local") {
		if e := f.ev(); e.Type == "text.delta" {
			text += e.text()
		}
	}
	if text != "Echo: for the local one only" {
		t.Fatalf("the local turn answered %q", text)
	}
	if st, s := h.call("GET", "/api/sessions/"+sid, ""); st != http.StatusOK || s["id"] != sid {
		t.Fatalf("the session's REST route: %d %v", st, s)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, hit := range hits {
		if strings.Contains(hit, sid) {
			t.Fatalf("the hostile Konsole was asked %s", hit)
		}
	}
}
