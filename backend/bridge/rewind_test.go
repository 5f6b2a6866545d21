package bridge_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// A session's checkpoints and its rewind go through the bridge's REST
// proxy to its Konsole, and the rewind reaches the dashboard's WebSocket
// as session.rewound.
func TestRewindGoesThroughTheBridge(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	h := startBridge(t, k.URL, k.Token, nil)
	h.waitConnected()
	sid := k.CreateSession()
	c := h.connect("clientId=rewind")
	status, r := h.rest("POST", "/api/sessions/"+sid+"/prompt", map[string]any{"text": "hello before the file"})
	if status != http.StatusAccepted {
		t.Fatalf("prompt: %d %v", status, r)
	}
	c.until(60*time.Second, turnDone(r["turnId"].(string)))
	made := filepath.Join(k.Work, "after.txt")
	if err := os.WriteFile(made, []byte("after\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	status, list := h.rest("GET", "/api/sessions/"+sid+"/checkpoints", nil)
	if status != http.StatusOK {
		t.Fatalf("checkpoints: %d %v", status, list)
	}
	cps := list["checkpoints"].([]any)
	if len(cps) != 1 {
		t.Fatalf("checkpoints: %v", cps)
	}
	cp := cps[0].(map[string]any)
	if cp["files"].(map[string]any)["changed"] != 1.0 {
		t.Fatalf("the checkpoint: %v", cp)
	}
	status, res := h.rest("POST", "/api/sessions/"+sid+"/rewind", map[string]any{"messageId": cp["messageId"], "files": true, "overwrite": []string{"after.txt"}})
	if status != http.StatusOK || res["applied"] != true {
		t.Fatalf("rewind: %d %v", status, res)
	}
	c.until(30*time.Second, func(f frame) bool {
		return f.Type == "event" && f.ev().Type == "session.rewound" && strings.Contains(string(f.ev().Data), cp["turnId"].(string))
	})
	if _, err := os.Stat(made); !os.IsNotExist(err) {
		t.Fatalf("the file made after the prompt is still there: %v", err)
	}
}
