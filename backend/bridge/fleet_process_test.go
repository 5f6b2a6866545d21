package bridge_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// TestFleetKill9OfOneKonsoleMidStreamHoldsUpNoOtherAndItResumesExactly
// runs three "konui konsole" processes behind one bridge, each streaming
// a long answer, kills one with SIGKILL mid-stream, and checks that the
// other two stream on without a gap while it is gone, and that after its
// restart on the same address (its data folder, so its log, kept) its
// events resume with no gap and no duplicate.
func TestFleetKill9OfOneKonsoleMidStreamHoldsUpNoOtherAndItResumesExactly(t *testing.T) {
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	bin := buildKonui(t)
	ids := []string{"local", "b", "c"}
	procs := map[string]*konsoleProcess{}
	work := map[string]string{}
	var specs []bridge.KonsoleSpec
	for _, id := range ids {
		home := t.TempDir()
		work[id] = filepath.Join(home, "work")
		if err := os.MkdirAll(work[id], 0o755); err != nil {
			t.Fatal(err)
		}
		k := &konsoleProcess{t: t, bin: bin, addr: freeAddr(t), token: "fleet-kill9-" + id, data: t.TempDir(),
			env: append(kt.AgentEnv(home, fake.URL), "XDG_CONFIG_HOME="+home)}
		k.start()
		t.Cleanup(k.stop)
		procs[id] = k
		specs = append(specs, bridge.KonsoleSpec{ID: id, Name: "Konsole " + id, URL: "http://" + k.addr, Token: k.token})
	}
	h := startFleet(t, specs, nil)
	for _, id := range ids {
		h.waitState(id, bridge.StateConnected, 10*time.Second)
	}
	ws := h.connect("clientId=fleet-kill9")
	sids := map[string]string{}
	turns := map[string]string{}
	for _, id := range ids {
		st, s := h.call("POST", "/api/sessions", `{"cwd":"`+work[id]+`","konsoleId":"`+id+`"}`)
		if st != http.StatusCreated {
			t.Fatalf("session on %s: %d %v", id, st, s)
		}
		sids[id] = s["id"].(string)
	}
	// b is killed early in its answer; local and c answer for 6 s.
	for _, id := range ids {
		n := "300"
		if id == "b" {
			n = "400"
		}
		turns[id] = ws.promptTurn(sids[id], "[[long "+n+"]]")
	}
	var frames []frame
	deltas := 0
	frames = append(frames, ws.until(30*time.Second, func(f frame) bool {
		if f.Type == "event" && f.KonsoleID == "b" && f.ev().Type == "text.delta" {
			deltas++
		}
		return deltas == 20
	})...)

	b := procs["b"]
	orphan := int(b.api("GET", "/v1/sessions/"+sids["b"], "")["agentPid"].(float64))
	b.kill9()
	killOrphan(orphan)
	frames = append(frames, ws.until(10*time.Second, func(f frame) bool {
		return f.Type == "konsole" && f.KonsoleID == "b" && f.State == bridge.StateReconnecting
	})...)
	// Counted from the bridge's noticing: b's events written before the
	// kill may still be on their way until then.
	goneAt := len(frames)
	// The others finish their answers while b is gone.
	done := map[string]bool{}
	frames = append(frames, ws.until(60*time.Second, func(f frame) bool {
		if e := f.ev(); f.Type == "event" && e.Type == "turn.completed" && (e.TurnID == turns["local"] || e.TurnID == turns["c"]) {
			done[f.KonsoleID] = true
		}
		return done["local"] && done["c"]
	})...)
	during := map[string]int{}
	for _, f := range frames[goneAt:] {
		if f.Type == "event" {
			during[f.KonsoleID]++
		}
	}
	if during["local"] < 50 || during["c"] < 50 || during["b"] != 0 {
		t.Fatalf("events while b was down, by Konsole: %v", during)
	}

	b.start()
	frames = append(frames, ws.until(20*time.Second, func(f frame) bool {
		return f.Type == "konsole" && f.KonsoleID == "b" && f.State == bridge.StateConnected
	})...)
	after := ws.promptTurn(sids["b"], "after the crash")
	frames = append(frames, ws.until(60*time.Second, turnDone(after))...)

	// One seq for the bridge, without a gap; per Konsole, exactly its log.
	var lastSeq int64
	for _, f := range frames {
		if f.Type != "event" {
			continue
		}
		if lastSeq != 0 && f.Seq != lastSeq+1 {
			t.Fatalf("seq %d after %d", f.Seq, lastSeq)
		}
		lastSeq = f.Seq
	}
	for _, id := range ids {
		var got []int64
		seen := map[int64]int{}
		for _, f := range eventsOf(frames, id) {
			e := f.ev()
			got = append(got, e.ID)
			seen[e.ID]++
		}
		want := procs[id].logIDs(got[len(got)-1])
		// The client connected after the sessions' first events: compare
		// from its first event on.
		for len(want) > 0 && want[0] < got[0] {
			want = want[1:]
		}
		lost, dup := 0, 0
		for _, w := range want {
			if seen[w] == 0 {
				lost++
			}
		}
		for _, n := range seen {
			dup += n - 1
		}
		t.Logf("%s: log %d events, client %d, lost %d, duplicated %d", id, len(want), len(got), lost, dup)
		if lost != 0 || dup != 0 || len(got) != len(want) {
			t.Fatalf("%s: lost %d, duplicated %d (log %d, client %d)\nlog %v\ngot %v", id, lost, dup, len(want), len(got), want, got)
		}
	}
}
