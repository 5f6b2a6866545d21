package sessions

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// stuckStore is a real store whose writes of one session's row hang once
// armed, as on a disk that stopped answering, until released.
type stuckStore struct {
	*store.Store
	mu      sync.Mutex
	stuckID string
	// messages: the armed session's next transcript write hangs, not its row.
	messages bool
	entered  chan struct{} // closed when a write of stuckID hangs
	release  chan struct{}
}

func (s *stuckStore) arm(id string) { s.armFor(id, false) }

func (s *stuckStore) armFor(id string, messages bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stuckID, s.messages, s.entered, s.release = id, messages, make(chan struct{}), make(chan struct{})
}

func (s *stuckStore) SaveSession(id string, data []byte, activeTurn, createdAt string) error {
	s.mu.Lock()
	stuck := id == s.stuckID && !s.messages
	entered, release := s.entered, s.release
	if stuck {
		s.stuckID = ""
	}
	s.mu.Unlock()
	if stuck {
		close(entered)
		<-release
	}
	return s.Store.SaveSession(id, data, activeTurn, createdAt)
}

// One session's storage hangs: listing sessions, this one included, and
// reading another still answer at once.
func TestListingSessionsDoesNotWaitForOneWhoseStorageHangs(t *testing.T) {
	var stuck *stuckStore
	r := newRig(t, rigOptions{agent: "idle", store: func(st *store.Store) sessionStore {
		stuck = &stuckStore{Store: st}
		return stuck
	}})
	a := r.create(CreateRequest{Title: "slow disk"})
	b := r.create(CreateRequest{Title: "fine"})
	stuck.arm(a.ID)
	title := "renamed on a slow disk"
	updated := make(chan error, 1)
	go func() {
		_, err := r.m.Update(a.ID, SessionPatch{Title: &title})
		updated <- err
	}()
	<-stuck.entered
	released := false
	release := func() {
		if !released {
			released = true
			close(stuck.release)
		}
	}
	defer release()

	listed := make(chan []Session, 1)
	start := time.Now()
	go func() { listed <- r.m.List() }()
	select {
	case all := <-listed:
		if len(all) != 2 || all[0].ID != a.ID || all[1].ID != b.ID {
			t.Fatalf("List = %+v", all)
		}
	case <-time.After(100 * time.Millisecond):
		t.Fatal("List did not answer within 100 ms while one session's storage hangs")
	}
	t.Logf("List answered in %v", time.Since(start))
	got := make(chan Session, 1)
	go func() { s, _ := r.m.Get(b.ID); got <- s }()
	select {
	case <-got:
	case <-time.After(100 * time.Millisecond):
		t.Fatal("Get of another session did not answer within 100 ms")
	}
	release()
	if err := <-updated; err != nil {
		t.Fatal(err)
	}
	if s := r.m.snapshotOf(t, a.ID); s.Title != title {
		t.Fatalf("title %q after the write went through", s.Title)
	}
}

// A control request the agent never answers times out and leaves the
// session's map then, not when the agent exits.
func TestAControlRequestThatTimesOutIsForgotten(t *testing.T) {
	r := newRig(t, rigOptions{agent: "deaf", controlTimeout: 200 * time.Millisecond})
	s := r.create(CreateRequest{})
	model := "claude-haiku-4-5"
	_, err := r.m.Update(s.ID, SessionPatch{Model: &model})
	var e *apierror.Error
	if !errors.As(err, &e) || e.Status != http.StatusGatewayTimeout {
		t.Fatalf("Update = %v, want a 504", err)
	}
	ss, _ := r.m.get(s.ID)
	ss.mu.Lock()
	n, running := len(ss.controls), ss.proc != nil
	ss.mu.Unlock()
	if !running {
		t.Fatal("the agent is gone: the test proves nothing")
	}
	if n != 0 {
		t.Fatalf("%d control requests still wait after the timeout", n)
	}
}

// AddMessage hangs, like SaveSession, for the session armed with
// armMessages.
func (s *stuckStore) AddMessage(row store.MessageRow) (int64, error) {
	s.mu.Lock()
	stuck := s.messages && row.SessionID == s.stuckID
	entered, release := s.entered, s.release
	if stuck {
		s.stuckID = ""
	}
	s.mu.Unlock()
	if stuck {
		close(entered)
		<-release
	}
	return s.Store.AddMessage(row)
}

// armMessages makes the next transcript write of session id hang.
func (s *stuckStore) armMessages(id string) { s.armFor(id, true) }

// within runs f and fails the test when it has not returned within d: a
// call that waits for a hung write never returns until the write does.
func within[T any](t *testing.T, d time.Duration, what string, f func() T) T {
	t.Helper()
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case v := <-ch:
		return v
	case <-time.After(d):
		t.Fatalf("%s did not answer within %v", what, d)
		panic("unreachable")
	}
}

// promptAnswer is what PromptOrQueue returned.
type promptAnswer struct {
	out PromptOutcome
	err error
}

// While a session's storage write hangs, that session still answers
// reads and Stop, and another session's prompt and permission answer go
// through; the writes land in order once the store answers again.
func TestASessionWhoseStorageHangsStillStopsAndOthersGoOn(t *testing.T) {
	var stuck *stuckStore
	r := newRig(t, rigOptions{agent: "asker", store: func(st *store.Store) sessionStore {
		stuck = &stuckStore{Store: st}
		return stuck
	}})
	a := r.create(CreateRequest{Title: "slow disk"})
	b := r.create(CreateRequest{Title: "fine"})
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	subA, err := r.log.Subscribe(-1) // for the end of A's turn, read last
	if err != nil {
		t.Fatal(err)
	}
	defer subA.Close()
	// A's turn asks permission; its prompt's transcript row hangs.
	stuck.armMessages(a.ID)
	released := false
	release := func() {
		if !released {
			released = true
			close(stuck.release)
		}
	}
	defer release()
	first := within(t, 5*time.Second, "a prompt whose transcript write hangs", func() promptAnswer {
		out, err := r.m.PromptOrQueue(a.ID, PromptRequest{Text: "work on a slow disk"})
		return promptAnswer{out, err}
	})
	if first.err != nil {
		t.Fatal(first.err)
	}
	<-stuck.entered
	r.until(sub, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvPermissionRequest && row.SessionID == a.ID
	})

	got := within(t, 5*time.Second, "Get of the session whose write hangs", func() Session { return r.m.snapshotOf(t, a.ID) })
	if got.ActiveTurnID != first.out.TurnID || got.PendingPermissions != 1 {
		t.Fatalf("session %+v, want turn %s with one request waiting", got, first.out.TurnID)
	}
	stopped := within(t, 5*time.Second, "Stop of the session whose write hangs", func() promptAnswer {
		id, err := r.m.Stop(a.ID)
		return promptAnswer{PromptOutcome{TurnID: id}, err}
	})
	if stopped.err != nil || stopped.out.TurnID != first.out.TurnID {
		t.Fatalf("Stop = %q, %v; want turn %s", stopped.out.TurnID, stopped.err, first.out.TurnID)
	}

	other := within(t, 5*time.Second, "a prompt to another session", func() promptAnswer {
		out, err := r.m.PromptOrQueue(b.ID, PromptRequest{Text: "work on a good disk"})
		return promptAnswer{out, err}
	})
	if other.err != nil {
		t.Fatal(other.err)
	}
	req := r.until(sub, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvPermissionRequest && row.SessionID == b.ID
	}).data(t)
	answered := within(t, 5*time.Second, "a permission answer in another session", func() error {
		return r.m.Answer(b.ID, req["requestId"].(string), PermissionAnswer{PermissionAnswer: contract.PermissionAnswer{Behavior: "allow"}})
	})
	if answered != nil {
		t.Fatal(answered)
	}
	r.until(sub, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvTurnCompleted && row.TurnID == other.out.TurnID
	})
	if msgs, err := r.m.Messages(b.ID); err != nil || len(msgs) != 3 {
		t.Fatalf("messages of the other session: %d, %v; want prompt, answer and the turn's end", len(msgs), err)
	}

	// Readers across sessions (usage, search) wait a bounded time for it.
	if within(t, 5*time.Second, "FlushAll", r.m.FlushAll) {
		t.Fatal("FlushAll says every write is in while one hangs")
	}

	release()
	end := r.until(subA, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvTurnCompleted && row.TurnID == first.out.TurnID
	}).data(t)
	if end["reason"] != ReasonInterrupted {
		t.Fatalf("the stopped turn ended %v", end["reason"])
	}
	msgs, err := r.m.Messages(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, m := range msgs {
		roles = append(roles, m.Role)
	}
	if strings.Join(roles, " ") != "user assistant turn" {
		t.Fatalf("the transcript once the store answers holds %v, want the prompt, the answer and the turn's end in order", roles)
	}
}

// holdStart is a Prepare (a step of every agent start) that hangs the
// next start of one session until released.
type holdStart struct {
	mu      sync.Mutex
	id      string
	entered chan struct{}
	release chan struct{}
}

func (h *holdStart) arm(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.id, h.entered, h.release = id, make(chan struct{}), make(chan struct{})
}

func (h *holdStart) prepare(id string, _ *claude.Options) {
	h.mu.Lock()
	hold := id == h.id
	entered, release := h.entered, h.release
	if hold {
		h.id = ""
	}
	h.mu.Unlock()
	if hold {
		close(entered)
		<-release
	}
}

// An agent start that hangs holds up nobody: the session reads as
// starting, lists, refuses a second prompt, and a Stop ends the waiting
// turn without it ever reaching the agent; other sessions go on.
func TestAnAgentStartThatHangsBlocksNothing(t *testing.T) {
	hold := &holdStart{}
	r := newRig(t, rigOptions{agent: "asker", prepare: hold.prepare})
	a := r.create(CreateRequest{Title: "slow start"})
	b := r.create(CreateRequest{Title: "fine"})
	if err := r.m.End(a.ID); err != nil {
		t.Fatal(err)
	}
	sub, err := r.log.Subscribe(-1)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	hold.arm(a.ID)
	released := false
	release := func() {
		if !released {
			released = true
			close(hold.release)
		}
	}
	defer release()
	prompted := make(chan promptAnswer, 1)
	go func() {
		out, err := r.m.PromptOrQueue(a.ID, PromptRequest{Text: "start again", ClientMessageID: "c1"})
		prompted <- promptAnswer{out, err}
	}()
	<-hold.entered

	got := within(t, 5*time.Second, "Get of the starting session", func() Session { return r.m.snapshotOf(t, a.ID) })
	if got.Status != StatusStarting {
		t.Fatalf("status %q while its agent starts, want starting", got.Status)
	}
	listed := within(t, 100*time.Millisecond, "List", func() []Session { return r.m.List() })
	if len(listed) != 2 {
		t.Fatalf("List = %+v", listed)
	}
	second := within(t, 5*time.Second, "a second prompt to the starting session", func() error {
		_, err := r.m.PromptOrQueue(a.ID, PromptRequest{Text: "me too"})
		return err
	})
	var e *apierror.Error
	if !errors.As(second, &e) || e.Status != http.StatusConflict {
		t.Fatalf("a second prompt while the first waits for its agent: %v, want 409", second)
	}
	other := within(t, 5*time.Second, "a prompt to another session", func() error {
		_, err := r.m.PromptOrQueue(b.ID, PromptRequest{Text: "go on"})
		return err
	})
	if other != nil {
		t.Fatal(other)
	}
	stopped := within(t, 5*time.Second, "Stop of the starting session", func() error {
		_, err := r.m.Stop(a.ID)
		return err
	})
	if stopped != nil {
		t.Fatal(stopped)
	}

	release()
	first := <-prompted
	if first.err != nil {
		t.Fatal(first.err)
	}
	end := r.until(sub, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvTurnCompleted && row.TurnID == first.out.TurnID
	}).data(t)
	if end["reason"] != ReasonInterrupted {
		t.Fatalf("the turn stopped while its agent started ended %v", end["reason"])
	}
	var seen []string
	for _, ev := range r.events(a.ID) {
		if ev.TurnID == first.out.TurnID {
			seen = append(seen, ev.Type)
		}
	}
	if len(seen) != 2 || seen[0] != contract.EvTurnStarted || seen[1] != contract.EvTurnCompleted {
		t.Fatalf("the stopped turn's events: %v, want turn.started then turn.completed", seen)
	}
	if s := r.m.snapshotOf(t, a.ID); s.Status != StatusIdle || s.AgentPID == 0 {
		t.Fatalf("after the stopped start: status %q, pid %d; want idle with its agent", s.Status, s.AgentPID)
	}
	// The agent that started takes the next prompt, and the first prompt's
	// id is still known.
	again, err := r.m.PromptOrQueue(a.ID, PromptRequest{Text: "start again", ClientMessageID: "c1"})
	if err != nil || !again.Duplicate || again.TurnID != first.out.TurnID {
		t.Fatalf("the same clientMessageId again: %+v, %v", again, err)
	}
	next, err := r.m.PromptOrQueue(a.ID, PromptRequest{Text: "next"})
	if err != nil {
		t.Fatalf("a prompt after the stopped start: %v", err)
	}
	r.until(sub, 30*time.Second, func(row store.EventRow) bool {
		return row.Type == contract.EvPermissionRequest && row.TurnID == next.TurnID
	})
}

// DELETE while a prompt's agent starts: the prompt is refused as the
// session ends, and the agent that started is ended, not left running.
func TestDeletingASessionWhileItsAgentStartsEndsThatAgent(t *testing.T) {
	hold := &holdStart{}
	r := newRig(t, rigOptions{agent: "asker", prepare: hold.prepare})
	a := r.create(CreateRequest{})
	if err := r.m.End(a.ID); err != nil {
		t.Fatal(err)
	}
	hold.arm(a.ID)
	released := false
	release := func() {
		if !released {
			released = true
			close(hold.release)
		}
	}
	defer release()
	prompted := make(chan error, 1)
	go func() {
		_, err := r.m.PromptOrQueue(a.ID, PromptRequest{Text: "start again"})
		prompted <- err
	}()
	<-hold.entered
	ended := make(chan error, 1)
	go func() { ended <- r.m.End(a.ID) }()
	// End marks the session ending, then waits for the start.
	ss, _ := r.m.get(a.ID)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		// TryLock: a start that holds the lock (as it did) fails the test
		// instead of hanging it.
		if ss.mu.TryLock() {
			ending := ss.ending
			ss.mu.Unlock()
			if ending {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("End did not begin within 10 s")
		}
	}
	// It waits without the lock: the session still reads.
	if s := within(t, 5*time.Second, "Get while DELETE waits for the start", func() Session { return r.m.snapshotOf(t, a.ID) }); s.Status != StatusStarting {
		t.Fatalf("status %q while its agent starts", s.Status)
	}
	release()
	var e *apierror.Error
	if err := <-prompted; !errors.As(err, &e) || e.Status != http.StatusConflict {
		t.Fatalf("the prompt whose agent started as the session ended: %v, want 409", err)
	}
	if err := <-ended; err != nil {
		t.Fatal(err)
	}
	if s := r.m.snapshotOf(t, a.ID); s.Status != StatusExited || s.AgentPID != 0 || s.ActiveTurnID != "" {
		t.Fatalf("after DELETE: status %q, pid %d, turn %q", s.Status, s.AgentPID, s.ActiveTurnID)
	}
}
