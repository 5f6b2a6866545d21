package sessions

import (
	"math"
	"testing"
)

// costOf is a turn's costUsd, which must be positive.
func costOf(t *testing.T, done map[string]any) float64 {
	t.Helper()
	c, _ := done["costUsd"].(float64)
	if c <= 0 {
		t.Fatalf("turn.completed %v: costUsd %v", done, done["costUsd"])
	}
	return c
}

// same fails unless every cost is one (the fake API answers each prompt
// with the same usage, so each turn costs the same).
func same(t *testing.T, what string, want float64, got ...float64) {
	t.Helper()
	for _, c := range got {
		if math.Abs(c-want) > want/100 {
			t.Fatalf("%s: turn costs %v, want %v each: a turn was charged earlier turns", what, got, want)
		}
	}
}

// total fails unless the session's total is the sum of its turns.
func total(t *testing.T, r *rig, id string, turns ...float64) {
	t.Helper()
	s, err := r.m.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, c := range turns {
		sum += c
	}
	if math.Abs(s.TotalCostUSD-sum) > sum/100 {
		t.Fatalf("session total %v, its turns %v", s.TotalCostUSD, turns)
	}
}

// Each turn's costUsd is what that turn cost, whichever way its CLI came
// to the conversation: new, resumed after DELETE, after a Konsole restart,
// forked (from a live parent and from one whose agent has exited), and
// continued by a second Konsole on the same HOME. The CLI's
// total_cost_usd starts from the conversation's cost when it resumes one,
// including with --fork-session.
func TestEveryTurnCostsOnlyItselfHoweverItsCLIResumed(t *testing.T) {
	r := newRig(t, rigOptions{})
	a := r.create(CreateRequest{})
	one := costOf(t, r.turn(a.ID, "one"))
	two := costOf(t, r.turn(a.ID, "two"))
	same(t, "a new session", one, two)

	// A fork of a live parent: its CLI starts while the parent's runs.
	live, err := r.m.Fork(a.ID, ForkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	forkLive := costOf(t, r.turn(live.ID, "fork of a live parent"))
	same(t, "a fork of a live parent", one, forkLive)

	// Resumed after DELETE: the CLI exited and recorded the conversation's cost.
	if err := r.m.End(a.ID); err != nil {
		t.Fatal(err)
	}
	three := costOf(t, r.turn(a.ID, "three"))
	same(t, "resumed after DELETE", one, three)

	// A fork whose parent's agent has exited.
	if err := r.m.End(a.ID); err != nil {
		t.Fatal(err)
	}
	f, err := r.m.Fork(a.ID, ForkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	forkOne := costOf(t, r.turn(f.ID, "fork one"))
	forkTwo := costOf(t, r.turn(f.ID, "fork two"))
	same(t, "a fork after DELETE of its parent", one, forkOne, forkTwo)
	total(t, r, f.ID, forkOne, forkTwo)

	// A second Konsole on the same HOME continues the conversation (the
	// first one's agent has exited).
	agentID := r.m.snapshotOf(t, a.ID).AgentSessionID
	if err := r.m.End(a.ID); err != nil {
		t.Fatal(err)
	}
	other := newRig(t, rigOptions{home: r.home, fake: r.fake})
	c := other.create(CreateRequest{Resume: agentID})
	cont := costOf(t, other.turn(c.ID, "continued"))
	same(t, "continued by a second Konsole", one, cont)
	total(t, other, c.ID, cont)

	// A Konsole restart: the next prompt resumes the conversation.
	r.close()
	r2 := newRig(t, rigOptions{data: r.data, home: r.home, fake: r.fake})
	four := costOf(t, r2.turn(a.ID, "four"))
	same(t, "after a Konsole restart", one, four)
	total(t, r2, a.ID, one, two, three, four)
	total(t, r2, live.ID, forkLive)
}
