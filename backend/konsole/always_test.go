package konsole_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole"
	kt "github.com/konui/konui/backend/konsoletest"
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
	if res := find(evs, konsole.EvPermissionResolved); res == nil || res.DataMap()["always"] != true {
		t.Fatal("no permission.resolved with always")
	}

	turn = h.Prompt(sid, "[[bash: echo two > two.txt]]")
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(turn))
	if find(evs, konsole.EvPermissionRequest) != nil {
		t.Fatal("the second Bash call asked again")
	}
	for _, f := range []string{"one.txt", "two.txt"} {
		if _, err := os.Stat(filepath.Join(h.Work, f)); err != nil {
			t.Fatalf("%s was not written: %v", f, err)
		}
	}
}
