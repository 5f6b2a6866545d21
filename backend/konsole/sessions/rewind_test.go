package sessions

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/konui/konui/backend/konsole/store"
)

// The CLI echoes every prompt back (--replay-user-messages) with its uuid:
// the transcript keeps the prompt once, and the turn's end row keeps the
// uuid and conversation a rewind of the conversation resumes before.
func TestAPromptEchoedBackIsKeptOnceWithItsAnchor(t *testing.T) {
	r := newRig(t, rigOptions{})
	s := r.create(CreateRequest{})
	r.turn(s.ID, "hello once")
	rows, err := r.m.Messages(s.ID)
	if err != nil {
		t.Fatal(err)
	}
	prompts, anchor := 0, map[string]string{}
	for _, row := range rows {
		if isPrompt(row.Role, row.Content) {
			prompts++
		}
		if row.Role == "turn" {
			var end []map[string]string
			json.Unmarshal(row.Content, &end)
			anchor = map[string]string{"uuid": end[0]["userMessageUuid"], "agent": end[0]["agentSessionId"]}
		}
	}
	if prompts != 1 {
		t.Errorf("the transcript holds the prompt %d times", prompts)
	}
	if anchor["uuid"] == "" || anchor["agent"] == "" {
		t.Errorf("the turn's end keeps no anchor: %v", anchor)
	}
}

// A file changed by hand as soon as turn.completed arrives was changed
// outside the agent: the turn's end snapshot is taken before the event
// goes out, not after.
func TestAFileChangedRightAfterTheTurnEndedIsChangedOutside(t *testing.T) {
	r := newRig(t, rigOptions{})
	s := r.create(CreateRequest{})
	r.turn(s.ID, "first")
	if err := os.WriteFile(filepath.Join(r.work, "by-hand.txt"), []byte("by hand\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.turn(s.ID, "second")
	cps, err := r.m.Checkpoints(s.ID)
	if err != nil || len(cps) != 2 {
		t.Fatalf("checkpoints: %v %v", cps, err)
	}
	id := cps[0].MessageID
	res, err := r.m.Rewind(s.ID, RewindRequest{MessageID: &id, Files: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "by-hand.txt" || !res.Files[0].ChangedOutside || res.Applied {
		t.Fatalf("the dry run: %+v", res)
	}
}

// droppedTurns counts the prompts the conversation still holds from the
// one rewound to: turns an earlier rewind of the conversation dropped are
// not counted again, a files-only rewind drops none.
func TestDroppedTurnsCountsOnlyTheLiveConversation(t *testing.T) {
	prompt := func(id int64) store.MessageRow {
		return store.MessageRow{ID: id, Role: "user", Content: json.RawMessage(`[{"type":"text","text":"p"}]`)}
	}
	mark := func(id, to int64, conversation bool) store.MessageRow {
		c, _ := json.Marshal([]map[string]any{{"type": "session.rewound", "messageId": to, "conversation": conversation}})
		return store.MessageRow{ID: id, Role: roleRewind, Content: c}
	}
	answer := store.MessageRow{ID: 99, Role: "assistant", Content: json.RawMessage(`[{"type":"text","text":"a"}]`)}
	rows := []store.MessageRow{prompt(1), answer, prompt(2), prompt(3), mark(4, 2, true), prompt(5), mark(6, 5, false), prompt(7)}
	for k, want := range map[int]int{0: 3, 2: 2, 3: 2, 5: 2, 7: 1} {
		if got := droppedTurns(rows, k); got != want {
			t.Errorf("a rewind to row %d drops %d turns, want %d", k, got, want)
		}
	}
}
