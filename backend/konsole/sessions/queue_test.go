package sessions

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// status is the HTTP status an error of the Manager would answer with.
func status(err error) int {
	var e *apierror.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// subscribe follows the event log from now until the test ends.
func (r *rig) subscribe() *eventlog.Subscription {
	r.t.Helper()
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { sub.Close() })
	return sub
}

// startLong starts a long answer and waits until it streams, so that a
// turn surely runs.
func (r *rig) startLong(sub *eventlog.Subscription, sid, text string) string {
	r.t.Helper()
	out, err := r.m.PromptOrQueue(sid, PromptRequest{Text: text})
	if err != nil {
		r.t.Fatalf("prompt %q: %v", text, err)
	}
	r.until(sub, 90*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvTextDelta && row.TurnID == out.TurnID
	})
	return out.TurnID
}

// started waits for the next turn.started and returns its turn and prompt.
func (r *rig) started(sub *eventlog.Subscription) (string, string) {
	r.t.Helper()
	ev := r.until(sub, 90*time.Second, func(row store.EventRow) bool { return row.Type == contract.EvTurnStarted })
	prompt, _ := ev.data(r.t)["prompt"].(string)
	return ev.TurnID, prompt
}

func (r *rig) completed(sub *eventlog.Subscription, turn string) map[string]any {
	r.t.Helper()
	return r.until(sub, 90*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvTurnCompleted && row.TurnID == turn
	}).data(r.t)
}

func (r *rig) storedQueue(sid string) []store.QueuedPrompt {
	r.t.Helper()
	if err := r.m.Flush(sid); err != nil {
		r.t.Fatal(err)
	}
	q, err := r.st.Queue(sid)
	if err != nil {
		r.t.Fatal(err)
	}
	return q
}

// While a turn runs, a prompt is refused unless it asks to be queued; a
// queued prompt is stored at once (a retry of it is the same prompt), can
// be edited and moved, and the queue runs in its order after the turn,
// each prompt leaving the queue (and the store) as its turn starts.
func TestPromptsQueuedWhileATurnRunsRunAfterItInTheQueuesOrder(t *testing.T) {
	r := newRig(t, rigOptions{})
	sid := r.create(CreateRequest{}).ID
	sub := r.subscribe()
	long := r.startLong(sub, sid, "[[long 400 20]]")

	if _, err := r.m.PromptOrQueue(sid, PromptRequest{Text: "refused"}); status(err) != http.StatusConflict {
		t.Fatalf("a prompt while busy without whenBusy: %v, want 409", err)
	}
	first, err := r.m.PromptOrQueue(sid, PromptRequest{Text: "queued first", ClientMessageID: "c1", WhenBusy: "queue"})
	if err != nil || !first.Queued || first.QueueID == "" {
		t.Fatalf("queue: %+v %v", first, err)
	}
	again, err := r.m.PromptOrQueue(sid, PromptRequest{Text: "queued first", ClientMessageID: "c1", WhenBusy: "queue"})
	if err != nil || again.QueueID != first.QueueID {
		t.Fatalf("a retry of the same prompt: %+v %v, want the same queue id %s", again, err, first.QueueID)
	}
	second, err := r.m.PromptOrQueue(sid, PromptRequest{Text: "queued second", WhenBusy: "queue"})
	if err != nil || !second.Queued {
		t.Fatalf("queue: %+v %v", second, err)
	}
	if q := r.storedQueue(sid); len(q) != 2 {
		t.Fatalf("stored queue %+v, want the two prompts", q)
	}
	// The second goes first, edited.
	text, zero := "second, edited", 0
	if _, err := r.m.EditQueued(sid, second.QueueID, QueuePatch{Text: &text, Position: &zero}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.m.EditQueued(sid, "nope", QueuePatch{Text: &text}); status(err) != http.StatusNotFound {
		t.Fatalf("an edit of an unknown id: %v, want 404", err)
	}
	if _, err := r.m.EditQueued(sid, second.QueueID, QueuePatch{}); status(err) != http.StatusBadRequest {
		t.Fatalf("an edit of nothing: %v, want 400", err)
	}
	q, paused, err := r.m.Queue(sid)
	if err != nil || paused || len(q) != 2 || q[0].Text != "second, edited" || q[1].Text != "queued first" {
		t.Fatalf("queue %+v (paused %v, %v), want the edited second first", q, paused, err)
	}
	if s := r.m.snapshotOf(t, sid); s.Queued != 2 || s.Status != StatusRunning || s.ActiveTurnID != long {
		t.Fatalf("session while the long turn runs: %+v", s)
	}

	if end := r.completed(sub, long); end["reason"] != ReasonCompleted {
		t.Fatalf("the long turn ended %v", end)
	}
	for _, want := range []string{"second, edited", "queued first"} {
		turn, prompt := r.started(sub)
		if prompt != want {
			t.Fatalf("the next turn's prompt is %q, want %q", prompt, want)
		}
		if end := r.completed(sub, turn); end["reason"] != ReasonCompleted {
			t.Fatalf("the queued turn %q ended %v", want, end)
		}
	}
	if q, _, _ := r.m.Queue(sid); len(q) != 0 {
		t.Fatalf("queue after it ran: %+v", q)
	}
	if q := r.storedQueue(sid); len(q) != 0 {
		t.Fatalf("stored queue after it ran: %+v", q)
	}
	if s := r.m.snapshotOf(t, sid); s.Queued != 0 || s.Status != StatusIdle {
		t.Fatalf("session after the queue ran: %+v", s)
	}
}

// A Stop pauses the queue: the queued prompt waits, the session is idle;
// sending it resumes the queue.
func TestAStopPausesTheQueueUntilAQueuedPromptIsSent(t *testing.T) {
	r := newRig(t, rigOptions{})
	sid := r.create(CreateRequest{}).ID
	sub := r.subscribe()
	long := r.startLong(sub, sid, "[[long 2000]]")
	q, err := r.m.PromptOrQueue(sid, PromptRequest{Text: "waits after a stop", WhenBusy: "queue"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.m.SendQueued(sid, q.QueueID); status(err) != http.StatusConflict {
		t.Fatalf("sending a queued prompt while a turn runs: %v, want 409", err)
	}
	if turn, err := r.m.Stop(sid); err != nil || turn != long {
		t.Fatalf("stop: %s %v, want the long turn", turn, err)
	}
	if end := r.completed(sub, long); end["reason"] != ReasonInterrupted {
		t.Fatalf("the stopped turn ended %v", end)
	}
	r.until(sub, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvQueueUpdated && event{row}.data(t)["paused"] == true
	})
	s := r.m.snapshotOf(t, sid)
	if s.Status != StatusIdle || !s.QueuePaused || s.Queued != 1 || r.m.ActiveTurn(sid) != "" {
		t.Fatalf("session after the stop: %+v, want idle with its one prompt paused", s)
	}
	turn, err := r.m.SendQueued(sid, q.QueueID)
	if err != nil || turn == "" {
		t.Fatalf("send: %q %v", turn, err)
	}
	if end := r.completed(sub, turn); end["reason"] != ReasonCompleted {
		t.Fatalf("the sent prompt's turn ended %v", end)
	}
	if s := r.m.snapshotOf(t, sid); s.QueuePaused || s.Queued != 0 {
		t.Fatalf("session after the send: %+v, want its queue empty and running again", s)
	}
}

// Deleting queued prompts, one or all, leaves the store as the queue, and
// an empty queue is not paused.
func TestDeletingQueuedPromptsLeavesTheStoreAsTheQueue(t *testing.T) {
	r := newRig(t, rigOptions{})
	sid := r.create(CreateRequest{}).ID
	sub := r.subscribe()
	long := r.startLong(sub, sid, "[[long 2000]]")
	var ids []string
	for _, text := range []string{"one", "two", "three"} {
		q, err := r.m.PromptOrQueue(sid, PromptRequest{Text: text, WhenBusy: "queue"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q.QueueID)
	}
	if err := r.m.DeleteQueued(sid, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := r.m.DeleteQueued(sid, ids[1]); status(err) != http.StatusNotFound {
		t.Fatalf("deleting it again: %v, want 404", err)
	}
	if q := r.storedQueue(sid); len(q) != 2 || q[0].Text != "one" || q[1].Text != "three" {
		t.Fatalf("stored queue %+v, want one and three", q)
	}
	if _, err := r.m.Stop(sid); err != nil { // pauses the queue
		t.Fatal(err)
	}
	r.completed(sub, long)
	if s := r.m.snapshotOf(t, sid); !s.QueuePaused {
		t.Fatalf("not paused after the stop: %+v", s)
	}
	if err := r.m.DeleteQueued(sid, ""); err != nil {
		t.Fatal(err)
	}
	if q := r.storedQueue(sid); len(q) != 0 {
		t.Fatalf("stored queue after deleting all: %+v", q)
	}
	if s := r.m.snapshotOf(t, sid); s.QueuePaused || s.Queued != 0 {
		t.Fatalf("session after deleting all: %+v, want an empty queue, not paused", s)
	}
}
