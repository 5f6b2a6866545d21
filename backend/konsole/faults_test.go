package konsole_test

import (
	"fmt"
	"github.com/konui/konui/backend/contract"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// procsIn lists the processes whose command line contains cmd and whose
// working folder is dir (so that another test's processes never count).
func procsIn(dir, cmd string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.Contains(strings.ReplaceAll(string(raw), "\x00", " "), cmd) {
			continue
		}
		if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err == nil && filepath.Clean(cwd) == filepath.Clean(dir) {
			if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
				// A zombie (state Z) has ended; it only waits for its parent.
				if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
					continue
				}
			}
			pids = append(pids, pid)
		}
	}
	return pids
}

// readLog reads Konsole's log from the start (GET /v1/events?since=0) up
// to the newest committed event.
func readLog(t *testing.T, h *kt.Harness) []kt.Event {
	t.Helper()
	h.Server.Log().Flush()
	last := h.Server.Log().LastID()
	st := h.Events(0)
	defer st.Close()
	return st.Until(t, 20*time.Second, func(e kt.Event) bool { return e.ID >= last })
}

// tallyStream compares the events a live stream delivered with the log:
// it returns how many were lost and how many came more than once.
func tallyStream(got, log []kt.Event) (lost, dup int) {
	seen := map[int64]int{}
	for _, e := range got {
		seen[e.ID]++
	}
	for _, e := range log {
		switch n := seen[e.ID]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	return lost, dup
}

// TestAgentKilledMidToolCall kills -9 the agent's process group while an
// allowed Bash tool runs. Claude Code starts the tool's shell in a session of
// its own, out of that group: Konsole must still kill it (see
// claude.AgentTagEnv), end the turn and the session in error, leave no
// permission waiting, and resume the conversation on the next prompt.
func TestAgentKilledMidToolCall(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(0)
	var got []kt.Event
	first := h.Prompt(sid, "remember the word tangerine")
	got = append(got, st.Until(t, 60*time.Second, kt.TurnCompleted(first))...)

	// Not "sleep 30; echo done": the CLI blocks a command that starts with a
	// long sleep, and runs one it deems read-only without asking.
	turn := h.Prompt(sid, "[[bash: touch started.txt; sleep 30; echo done]]")
	evs := st.Until(t, 60*time.Second, func(e kt.Event) bool {
		if e.Type == contract.EvTurnCompleted && e.TurnID == turn {
			t.Fatalf("the turn ended before asking to run the tool: %q %v", deltas(got, turn), e.DataMap())
		}
		got = append(got, e)
		return e.Type == contract.EvPermissionRequest
	})
	got = got[:len(got)-len(evs)]
	got = append(got, evs...)
	req := evs[len(evs)-1].DataMap()
	if status, r := h.Do("POST", "/v1/sessions/"+sid+"/permissions/"+req["requestId"].(string), map[string]any{"behavior": "allow"}); status != 200 {
		t.Fatalf("allow: %d %v", status, r)
	}
	var sleeps []int
	for deadline := time.Now().Add(30 * time.Second); len(sleeps) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the allowed `sleep 30` never started")
		}
		sleeps = procsIn(h.Work, "sleep 30")
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "running" {
		t.Fatalf("session while the tool runs = %v", s)
	}
	pid := int(s["agentPid"].(float64))
	if err := killGroup(pid); err != nil {
		t.Fatalf("kill -9 the agent's process group %d: %v", pid, err)
	}
	killed := time.Now()

	evs = st.Until(t, 20*time.Second, kt.TurnCompleted(turn))
	got = append(got, evs...)
	if d := evs[len(evs)-1].DataMap(); d["reason"] != "error" {
		t.Fatalf("turn after the kill = %v", d)
	}
	t.Logf("the turn ended %s after kill -9", time.Since(killed).Round(time.Millisecond))
	if find(evs, contract.EvAgentExited) == nil {
		t.Fatal("no agent.exited event")
	}
	_, s = h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "error" || s["lastError"] == nil || s["lastError"] == "" {
		t.Fatalf("session after the kill = %v", s)
	}
	if n := s["pendingPermissions"]; n != nil && n.(float64) != 0 {
		t.Fatalf("pendingPermissions after the kill = %v", n)
	}
	if _, p := h.Do("GET", "/v1/sessions/"+sid+"/permissions", nil); len(p["permissions"].([]any)) != 0 {
		t.Fatalf("permissions left waiting after the kill: %v", p)
	}
	// The tool_use of the killed turn must not be left as if still running:
	// it is in a turn that completed, and no permission waits for it.
	_, m := h.Do("GET", "/v1/sessions/"+sid+"/messages", nil)
	msgs := m["messages"].([]any)
	if last := msgs[len(msgs)-1].(map[string]any); last["role"] != "turn" || last["turnId"] != turn {
		t.Fatalf("the transcript does not end with the killed turn's end: %v", last)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left := procsIn(h.Work, "sleep 30")
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphan `sleep 30` processes survived the kill: %v (were %v)", left, sleeps)
		}
	}

	next := h.Prompt(sid, "what was the word?")
	evs = st.Until(t, 60*time.Second, kt.TurnCompleted(next))
	got = append(got, evs...)
	if d := evs[len(evs)-1].DataMap(); d["reason"] != "completed" {
		t.Fatalf("resumed turn = %v", d)
	}
	reqs := h.Fake.Requests()
	if tr := reqs[len(reqs)-1].Transcript(); !strings.Contains(tr, "tangerine") {
		t.Fatalf("the restarted agent did not resume the conversation: %q", tr)
	}
	_, s = h.Do("GET", "/v1/sessions/"+sid, nil)
	if s["status"] != "idle" {
		t.Fatalf("session after resume = %v", s)
	}

	log := readLog(t, h)
	last := log[len(log)-1].ID
	if got[len(got)-1].ID < last { // the stream has not reached the newest event yet
		got = append(got, st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.ID >= last })...)
	}
	lost, dup := tallyStream(got, log)
	t.Logf("tally: %d events in the log, %d on the stream, lost %d, duplicated %d", len(log), len(got), lost, dup)
	if lost != 0 || dup != 0 {
		t.Fatalf("the stream lost %d and duplicated %d of %d events", lost, dup, len(log))
	}
}
