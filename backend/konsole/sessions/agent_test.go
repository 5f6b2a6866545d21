package sessions

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// fakeAgent plays the CLI in one chosen way:
//
//	orphan   answers control requests; when its input ends it starts a
//	         process in a session of its own that inherits stdout and stderr
//	         and sleeps 20 s (an MCP server or a hook outliving the CLI), and
//	         exits 0
//	idle     answers control requests and exits when its input ends
//	deaf     answers initialize only, never another control request
//	asker    answers control requests; asks permission for Bash on each
//	         prompt, and ends the turn once the request is answered
func fakeAgent(mode string) int {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		var msg struct {
			Type      string `json:"type"`
			RequestID string `json:"request_id"`
			Request   struct {
				Subtype string `json:"subtype"`
			} `json:"request"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil {
			continue
		}
		if mode == "asker" {
			asker(msg.Type)
		}
		if msg.Type == "control_request" && (mode != "deaf" || msg.Request.Subtype == "initialize") {
			b, _ := json.Marshal(map[string]any{"type": "control_response", "response": map[string]any{
				"subtype": "success", "request_id": msg.RequestID, "response": map[string]any{}}})
			fmt.Println(string(b))
		}
	}
	switch mode {
	case "orphan":
		child := exec.Command("sleep", "20")
		child.Stdout, child.Stderr = os.Stdout, os.Stderr
		ownSession(child)
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		return 0
	}
	return 2
}

// asker is the asker mode's answer to a line of type typ.
func asker(typ string) {
	var out map[string]any
	switch typ {
	case "user":
		out = map[string]any{"type": "control_request", "request_id": "perm_1", "request": map[string]any{
			"subtype": "can_use_tool", "tool_name": "Bash", "input": map[string]any{"command": "true"}, "tool_use_id": "toolu_1"}}
	case "control_response":
		b, _ := json.Marshal(map[string]any{"type": "assistant", "message": map[string]any{"role": "assistant",
			"content": []map[string]any{{"type": "text", "text": "done"}}}})
		fmt.Println(string(b))
		out = map[string]any{"type": "result", "subtype": "success", "is_error": false, "result": "done", "total_cost_usd": 0.001}
	default:
		return
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// DELETE of a session whose CLI leaves a child holding its output ends
// with the CLI, not 20 s later when the child lets go.
func TestEndingASessionDoesNotWaitForAChildHoldingTheAgentsOutput(t *testing.T) {
	r := newRig(t, rigOptions{agent: "orphan"})
	s := r.create(CreateRequest{})
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	start := time.Now()
	if err := r.m.End(s.ID); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("End took %v", took)
	}
	if got, _ := r.m.Get(s.ID); got.Status != StatusExited {
		t.Fatalf("status %q after End, want exited", got.Status)
	}
}
