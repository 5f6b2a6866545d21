package konsole_test

import (
	"encoding/json"
	"github.com/konui/konui/backend/contract"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// "Always allow" adds a session rule through the CLI's permission update:
// the next call of the same tool runs with no request.
func TestAlwaysAllowLetsTheNextCallOfTheToolThroughWithNoRequest(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)

	turn := h.Prompt(sid, "[[bash: echo one > one.txt]]")
	req := waitPermission(t, st).DataMap()
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "deny", "always": true}); status != 400 {
		t.Fatalf("always with deny: %d %v", status, r)
	}
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "allow", "always": true}); status != 200 {
		t.Fatalf("always allow: %d %v", status, r)
	}
	evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if res := find(evs, contract.EvPermissionResolved); res == nil || res.DataMap()["always"] != true {
		t.Fatal("no permission.resolved with always")
	}

	turn = h.Prompt(sid, "[[bash: echo two > two.txt]]")
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if find(evs, contract.EvPermissionRequest) != nil {
		t.Fatal("the second Bash call asked again")
	}
	for _, f := range []string{"one.txt", "two.txt"} {
		if _, err := os.Stat(filepath.Join(h.Work, f)); err != nil {
			t.Fatalf("%s was not written: %v", f, err)
		}
	}
}

func allowAlways(t *testing.T, h *kt.Harness, st *kt.Stream, sid, prompt string) {
	t.Helper()
	turn := h.Prompt(sid, prompt)
	req := waitPermission(t, st).DataMap()
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "allow", "always": true}); status != 200 {
		t.Fatalf("always allow: %d %v", status, r)
	}
	st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
}

// The session's rules are listed, and removing one asks again for that
// tool while the others stay allowed (in a new agent process).
func TestRemovingASessionRuleAsksAgainForThatToolOnly(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)
	allowAlways(t, h, st, sid, "[[bash: echo one > one.txt]]")
	allowAlways(t, h, st, sid, `[[tool Write: {"file_path":"w1.txt","content":"x"}]]`)
	_, r := h.Do("GET", "/v1/sessions/"+sid+"/rules", nil)
	if got := jsonString(r["rules"]); got != `[{"behavior":"allow","destination":"session","toolName":"Bash"},{"behavior":"allow","destination":"session","toolName":"Write"}]` {
		t.Fatalf("rules %s", got)
	}
	if status, r := h.Do("DELETE", "/v1/sessions/"+sid+"/rules/Nope", nil); status != 404 || r["code"] != "not_found" {
		t.Fatalf("removing no rule: %d %v", status, r)
	}
	if status, _ := h.DoRaw("DELETE", "/v1/sessions/"+sid+"/rules/Write", nil, h.Token); status != 204 {
		t.Fatalf("remove: %d", status)
	}
	st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.Type == contract.EvPermissionRules })
	// Bash is still allowed, with no request, in the new process.
	turn := h.Prompt(sid, "[[bash: echo two > two.txt]]")
	if evs := st.Until(t, 60*time.Second, kt.TurnCompleted(turn)); find(evs, contract.EvPermissionRequest) != nil {
		t.Fatal("Bash asked again after another tool's rule was removed")
	}
	if _, err := os.Stat(filepath.Join(h.Work, "two.txt")); err != nil {
		t.Fatalf("two.txt was not written: %v", err)
	}
	// Write asks again.
	h.Prompt(sid, `[[tool Write: {"file_path":"w2.txt","content":"x"}]]`)
	if req := waitPermission(t, st).DataMap(); req["toolName"] != "Write" {
		t.Fatalf("asked %v", req)
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }
