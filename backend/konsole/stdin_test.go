package konsole_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// An agent that stops reading its stdin while it floods stdout must not
// wedge its session: the 1 MiB permission answer waits in the process's own
// queue, the session keeps answering, its output keeps flowing, and Stop
// still ends the turn.
func TestAnAgentThatStopsReadingStdinWhileFloodingStdoutDoesNotWedgeItsSession(t *testing.T) {
	exe, _ := os.Executable()
	h := kt.Start(t, kt.Options{Claude: exe, Client: &http.Client{Timeout: 10 * time.Second}, Configure: func(c *konsole.Config) {
		c.Env = append(c.Env, "KONUI_FAKE_AGENT=deaf-flood")
		c.StopGrace, c.EscalateStep = 300*time.Millisecond, 200*time.Millisecond
	}})
	// Before the fix a wedged session also wedged Konsole's Close; kill the
	// agent first so that the test ends with its own failure.
	t.Cleanup(func() {
		for _, pid := range procsIn(h.Work, exe) {
			killPid(pid)
		}
	})
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, "go")
	st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.Type == contract.EvPermissionRequest })

	answered := make(chan int, 1)
	go func() {
		status, _ := h.DoRaw("POST", "/v1/sessions/"+sid+"/permissions/perm-big", map[string]string{"behavior": "allow"}, h.Token)
		answered <- status
	}()
	select {
	case status := <-answered:
		if status != http.StatusOK {
			t.Fatalf("permission answer = %d", status)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the permission answer waited on an agent that does not read its input")
	}
	st.Until(t, 10*time.Second, func(e kt.Event) bool {
		return e.Type == contract.EvTextDelta && e.DataMap()["text"] == "end of flood"
	})
	if status, s := h.Do("GET", "/v1/sessions/"+sid, nil); status != http.StatusOK || s["status"] != "running" {
		t.Fatalf("session while the answer waits = %d %v", status, s)
	}
	if status, _ := h.Do("POST", "/v1/sessions/"+sid+"/stop", nil); status != http.StatusOK {
		t.Fatalf("stop = %d", status)
	}
	evs := st.Until(t, 10*time.Second, kt.TurnCompleted(turn))
	if reason := evs[len(evs)-1].DataMap()["reason"]; reason != "interrupted" {
		t.Fatalf("reason = %v", reason)
	}
	if status, _ := h.DoRaw("DELETE", "/v1/sessions/"+sid, nil, h.Token); status != http.StatusNoContent {
		t.Fatalf("delete = %d", status)
	}
}
