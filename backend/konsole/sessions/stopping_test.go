package sessions

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/konui/konui/backend/contract"
)

// statuses are the statuses a session went through, as session.updated
// told them, without repeats.
func (r *rig) statuses(sid string) []string {
	r.t.Helper()
	var out []string
	for _, ev := range r.events(sid) {
		if ev.Type != contract.EvSessionUpdated {
			continue
		}
		var e struct {
			Data struct {
				Session Session `json:"session"`
			} `json:"data"`
		}
		if err := json.Unmarshal(ev.Line, &e); err != nil {
			r.t.Fatal(err)
		}
		if st := e.Data.Session.Status; len(out) == 0 || out[len(out)-1] != st {
			out = append(out, st)
		}
	}
	return out
}

func TestStopWithoutARunningTurnIsAConflict(t *testing.T) {
	r := newRig(t, rigOptions{})
	sid := r.create(CreateRequest{}).ID
	if _, err := r.m.Stop(sid); status(err) != http.StatusConflict {
		t.Fatalf("stop of an idle session: %v, want 409", err)
	}
	if _, err := r.m.Stop("no-such-session"); status(err) != http.StatusNotFound {
		t.Fatalf("stop of an unknown session: %v, want 404", err)
	}
}

// A stopped turn goes running, stopping, idle; it ends interrupted, a
// second Stop of it is the same stop, and the conversation goes on.
func TestAStoppedTurnEndsInterruptedAndTheSessionGoesOn(t *testing.T) {
	r := newRig(t, rigOptions{})
	sid := r.create(CreateRequest{}).ID
	sub := r.subscribe()
	long := r.startLong(sub, sid, "[[long 2000]]")
	if s := r.m.snapshotOf(t, sid); s.Status != StatusRunning || s.ActiveTurnID != long {
		t.Fatalf("session during the turn: %+v", s)
	}
	if turn, err := r.m.Stop(sid); err != nil || turn != long {
		t.Fatalf("stop: %q %v", turn, err)
	}
	if turn, err := r.m.Stop(sid); err != nil || turn != long {
		t.Fatalf("a second stop of the same turn: %q %v, want the same turn", turn, err)
	}
	end := r.completed(sub, long)
	if end["reason"] != ReasonInterrupted {
		t.Fatalf("the stopped turn ended %v", end)
	}
	if s := r.m.snapshotOf(t, sid); s.Status != StatusIdle || s.ActiveTurnID != "" || r.m.ActiveTurn(sid) != "" {
		t.Fatalf("session after the stop: %+v", s)
	}
	got, want := r.statuses(sid), []string{StatusRunning, StatusStopping, StatusIdle}
	if i := slices.Index(got, StatusRunning); i < 0 || len(got) < i+3 || !slices.Equal(got[i:i+3], want) {
		t.Fatalf("statuses %v, want %v in a row", got, want)
	}
	if end := r.turn(sid, "and now something else"); end["reason"] != ReasonCompleted {
		t.Fatalf("the next turn ended %v", end)
	}
}

// Ending a session stops its agent: it is exited, and a prompt starts the
// agent again, resuming the conversation.
func TestAnEndedSessionIsExitedAndAPromptStartsItAgain(t *testing.T) {
	r := newRig(t, rigOptions{})
	sid := r.create(CreateRequest{}).ID
	if end := r.turn(sid, "before the end"); end["reason"] != ReasonCompleted {
		t.Fatalf("first turn: %v", end)
	}
	if err := r.m.End(sid); err != nil {
		t.Fatal(err)
	}
	if s := r.m.snapshotOf(t, sid); s.Status != StatusExited {
		t.Fatalf("status after End: %s, want exited", s.Status)
	}
	if end := r.turn(sid, "after the end"); end["reason"] != ReasonCompleted {
		t.Fatalf("the turn after End: %v", end)
	}
	if s := r.m.snapshotOf(t, sid); s.Status != StatusIdle {
		t.Fatalf("status after the new turn: %s, want idle", s.Status)
	}
	reqs := r.fake.Requests()
	last := reqs[len(reqs)-1]
	if last.LastUser().Prompt != "after the end" || !strings.Contains(last.Transcript(), "before the end") {
		t.Fatalf("the restarted agent did not resume the conversation: %q", last.Transcript())
	}
}
