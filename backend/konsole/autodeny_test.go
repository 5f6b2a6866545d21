package konsole_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

func TestAnUnansweredRequestIsDeniedAutomaticallyWhenAutoDenyIsOn(t *testing.T) {
	h := kt.Start(t, kt.Options{Configure: func(c *konsole.Config) { c.AutoDenyUnit = 300 * time.Millisecond }})
	if status, r := h.Do("GET", "/v1/settings/auto-deny", nil); status != 200 || r["minutes"] != 0.0 {
		t.Fatalf("default: %d %v", status, r)
	}
	for _, bad := range []int{-1, 61} {
		if status, r := h.Do("PUT", "/v1/settings/auto-deny", map[string]any{"minutes": bad}); status != 400 || r["code"] != "bad_request" {
			t.Fatalf("minutes %d: %d %v", bad, status, r)
		}
	}
	if status, r := h.Do("PUT", "/v1/settings/auto-deny", map[string]any{"minutes": 2}); status != 200 || r["minutes"] != 2.0 {
		t.Fatalf("set: %d %v", status, r)
	}
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "[[bash: echo late > late.txt]]")
	req := waitPermission(t, st).DataMap()
	asked, _ := time.Parse(time.RFC3339Nano, req["requestedAt"].(string))
	deadline, _ := time.Parse(time.RFC3339Nano, req["autoDenyAt"].(string))
	if d := deadline.Sub(asked); d != 600*time.Millisecond {
		t.Fatalf("requestedAt %v autoDenyAt %v", req["requestedAt"], req["autoDenyAt"])
	}
	_, list := h.Do("GET", "/v1/sessions/"+sid+"/permissions", nil)
	if ps := list["permissions"].([]any); len(ps) != 1 || ps[0].(map[string]any)["requestedAt"] == nil {
		t.Fatalf("pending list %v", list)
	}
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	res := find(evs, contract.EvPermissionResolved)
	if res == nil || res.DataMap()["behavior"] != "deny" || res.DataMap()["auto"] != true ||
		!strings.HasPrefix(res.DataMap()["message"].(string), "Denied automatically: nobody answered within 2 minutes") {
		t.Fatalf("resolved %v", res)
	}
	if got := deltas(evs, turn); !strings.Contains(got, "Tool result (error)") || !strings.Contains(got, "Denied automatically") {
		t.Fatalf("the CLI heard %q", got)
	}
	if _, err := os.Stat(filepath.Join(h.Work, "late.txt")); err == nil {
		t.Fatal("the auto-denied command ran")
	}

	// Answered in time: the timer sends nothing more.
	turn = h.Prompt(sid, "[[bash: echo quick > quick.txt]]")
	req = waitPermission(t, st).DataMap()
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "allow"}); status != 200 {
		t.Fatalf("allow: %d %v", status, r)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if _, err := os.Stat(filepath.Join(h.Work, "quick.txt")); err != nil {
		t.Fatalf("the allowed command did not run: %v", err)
	}
	// Off again: no deadline.
	h.Do("PUT", "/v1/settings/auto-deny", map[string]any{"minutes": 0})
	h.Prompt(sid, "[[bash: echo off > off.txt]]")
	if req = waitPermission(t, st).DataMap(); req["autoDenyAt"] != nil {
		t.Fatalf("auto-deny off, yet %v", req["autoDenyAt"])
	}
}
