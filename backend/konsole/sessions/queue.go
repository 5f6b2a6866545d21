package sessions

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// MaxQueued bounds the prompts queued in one session.
const MaxQueued = 50

// PromptOrQueue sends a prompt, or queues it when a turn runs (whenBusy
// "queue"). A queued prompt is stored, so it survives a Konsole restart,
// and is sent when the running turn ends; a Stop pauses the queue.
func (m *Manager) PromptOrQueue(id string, req PromptRequest) (PromptOutcome, error) {
	if strings.TrimSpace(req.Text) == "" {
		return PromptOutcome{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "text is required")
	}
	if err := checkPrompt(req); err != nil {
		return PromptOutcome{}, err
	}
	s, err := m.get(id)
	if err != nil {
		return PromptOutcome{}, err
	}
	s.mu.Lock()
	// A prompt sent while the session's agent starts waits for it, as it
	// waited for the lock before: it is then queued or sent like any other.
	s.awaitTurnlessLaunch()
	if s.turn != nil && req.WhenBusy == "queue" {
		if len(req.Images) > 0 {
			s.mu.Unlock()
			return PromptOutcome{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "a prompt with images is not queued: send it once the running turn has ended")
		}
		q, stored, err := s.enqueue(req)
		s.mu.Unlock()
		if err == nil {
			// Answered once the prompt is stored: queued means it survives a
			// restart.
			err = stored()
		}
		if err != nil {
			return PromptOutcome{}, err
		}
		return PromptOutcome{Queued: true, QueueID: q.ID}, nil
	}
	tid, dup, err := s.startTurn(req)
	s.mu.Unlock()
	return PromptOutcome{TurnID: tid, Duplicate: dup}, err
}

// enqueue adds a prompt at the end of the queue; the caller holds s.mu,
// and calls stored without it to learn whether the store has it.
func (s *session) enqueue(req PromptRequest) (store.QueuedPrompt, func() error, error) {
	q := s.queue
	if req.ClientMessageID != "" {
		for _, item := range q {
			if item.ClientMessageID == req.ClientMessageID {
				return item, noWait, nil // a retry of the same prompt
			}
		}
	}
	if len(q) >= MaxQueued {
		return store.QueuedPrompt{}, nil, apierror.New(http.StatusConflict, apierror.CodeConflict, "the queue of this session is full (%d prompts)", MaxQueued)
	}
	pos := 1.0
	if len(q) > 0 {
		pos = q[len(q)-1].Position + 1
	}
	item := store.QueuedPrompt{ID: uuid.NewString(), SessionID: s.info.ID, Position: pos, Text: req.Text,
		ClientMessageID: req.ClientMessageID, CreatedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	stored := s.w.write(func() error {
		if err := s.m.st.SaveQueued(item); err != nil {
			return fmt.Errorf("failed to store the queued prompt: %w", err)
		}
		return nil
	})
	s.setQueue(append(q[:len(q):len(q)], item))
	return item, stored, nil
}

func noWait() error { return nil }

// setQueue makes q the session's queue and tells clients the queue and the
// session's count; the caller holds s.mu. q is never changed in place
// after: events and readers share it.
func (s *session) setQueue(q []store.QueuedPrompt) {
	if q == nil {
		q = []store.QueuedPrompt{}
	}
	s.queue = q
	s.emit("", contract.QueueUpdated{SessionID: s.info.ID, Queue: wireQueue(q), Paused: s.info.QueuePaused})
	s.info.Queued = len(q)
	s.changed()
}

// wireQueue is a session's queue as the API shows it.
func wireQueue(q []store.QueuedPrompt) []contract.QueuedPrompt {
	out := make([]contract.QueuedPrompt, len(q))
	for i, p := range q {
		out[i] = contract.QueuedPrompt{ID: p.ID, SessionID: p.SessionID, Text: p.Text, ClientMessageID: p.ClientMessageID, CreatedAt: p.CreatedAt}
	}
	return out
}

// afterTurn sends the next queued prompt once a turn has ended, unless the
// user stopped it: a Stop pauses the queue (the next prompt they send, or
// "send" on a queued one, resumes it). The caller holds s.mu.
func (s *session) afterTurn(reason string) {
	if s.m.isClosing() || s.ending {
		return // the queue waits for the next start
	}
	if reason == ReasonInterrupted {
		if s.info.Queued > 0 && !s.info.QueuePaused {
			s.info.QueuePaused = true
			s.setQueue(s.queue)
		}
		return
	}
	if s.info.QueuePaused {
		return
	}
	_ = s.dispatch("") // a prompt that could not be sent stays queued; dispatch logged why
}

// dispatch sends the queued prompt id (the head when ""); the caller holds
// s.mu and no turn runs. s.mu is released while an agent starts (launch).
func (s *session) dispatch(id string) error {
	if len(s.queue) == 0 {
		return nil
	}
	i := 0
	if id != "" {
		if i = indexOfQueued(s.queue, id); i < 0 {
			return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no queued prompt %q in this session", id)
		}
	}
	next := s.queue[i]
	// The prompt leaves the queue only once its turn has started: a prompt
	// that could not be sent stays queued.
	if _, _, err := s.startTurn(PromptRequest{Text: next.Text, ClientMessageID: next.ClientMessageID}); err != nil {
		s.m.lg.Warn("failed to send a queued prompt; it stays queued", "session", s.info.ID, "err", err)
		return err
	}
	// Found again: the queue may have changed while the agent started.
	if i = indexOfQueued(s.queue, next.ID); i < 0 {
		return nil
	}
	sid := s.info.ID
	s.w.do(func() {
		if _, err := s.m.st.DeleteQueued(sid, next.ID); err != nil {
			s.m.lg.Error("failed to remove a sent prompt from the stored queue", "session", sid, "err", err)
		}
	})
	s.info.QueuePaused = false
	s.setQueue(append(s.queue[:i:i], s.queue[i+1:]...))
	return nil
}

// Queue returns a session's queued prompts.
func (m *Manager) Queue(id string) ([]store.QueuedPrompt, bool, error) {
	s, err := m.get(id)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queue
	if q == nil {
		q = []store.QueuedPrompt{}
	}
	return q, s.info.QueuePaused, nil
}

// EditQueued changes a queued prompt's text or place.
func (m *Manager) EditQueued(id, queueID string, p QueuePatch) (store.QueuedPrompt, error) {
	s, err := m.get(id)
	if err != nil {
		return store.QueuedPrompt{}, err
	}
	if p.Text == nil && p.Position == nil {
		return store.QueuedPrompt{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, `nothing to change: send "text" or "position"`)
	}
	if p.Text != nil && strings.TrimSpace(*p.Text) == "" {
		return store.QueuedPrompt{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "text must not be empty")
	}
	s.mu.Lock()
	q := slices.Clone(s.queue)
	i := indexOfQueued(q, queueID)
	if i < 0 {
		s.mu.Unlock()
		return store.QueuedPrompt{}, apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no queued prompt %q in this session", queueID)
	}
	item := q[i]
	if p.Text != nil {
		item.Text = *p.Text
		q[i] = item
	}
	if p.Position != nil {
		to := min(max(*p.Position, 0), len(q)-1)
		q = append(q[:i], q[i+1:]...)
		q = append(q[:to], append([]store.QueuedPrompt{item}, q[to:]...)...)
	}
	for n := range q {
		q[n].Position = float64(n + 1)
	}
	rows := slices.Clone(q)
	stored := s.w.write(func() error {
		for _, r := range rows {
			if err := s.m.st.SaveQueued(r); err != nil {
				return fmt.Errorf("failed to store the queue: %w", err)
			}
		}
		return nil
	})
	s.setQueue(q)
	item = q[indexOfQueued(q, queueID)]
	s.mu.Unlock()
	if err := stored(); err != nil {
		return store.QueuedPrompt{}, err
	}
	return item, nil
}

// DeleteQueued removes one queued prompt, or all of them when queueID is "".
func (m *Manager) DeleteQueued(id, queueID string) error {
	s, err := m.get(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	var q []store.QueuedPrompt
	var stored func() error
	if queueID == "" {
		stored = s.w.write(func() error { return m.st.ClearQueue(id) })
	} else {
		i := indexOfQueued(s.queue, queueID)
		if i < 0 {
			s.mu.Unlock()
			return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no queued prompt %q in this session", queueID)
		}
		q = append(s.queue[:i:i], s.queue[i+1:]...)
		stored = s.w.write(func() error {
			_, err := m.st.DeleteQueued(id, queueID)
			return err
		})
	}
	if len(q) == 0 {
		s.info.QueuePaused = false
	}
	s.setQueue(q)
	s.mu.Unlock()
	return stored()
}

// SendQueued sends a queued prompt now (resuming a paused queue); 409 while
// a turn runs.
func (m *Manager) SendQueued(id, queueID string) (string, error) {
	s, err := m.get(id)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.awaitTurnlessLaunch()
	if indexOfQueued(s.queue, queueID) < 0 {
		return "", apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no queued prompt %q in this session", queueID)
	}
	if s.turn != nil {
		return "", apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn is running: the queue sends this prompt when it ends")
	}
	if err := s.dispatch(queueID); err != nil {
		return "", err
	}
	return s.turnID(), nil
}

// ResumeQueues sends the next queued prompt of every idle session whose
// queue is not paused: prompts that waited for a turn that a Konsole
// restart cut short. Konsole calls it once it listens.
func (m *Manager) ResumeQueues() {
	for _, s := range m.all() {
		s.mu.Lock()
		s.awaitTurnlessLaunch()
		if len(s.queue) == 0 {
			s.mu.Unlock()
			continue
		}
		s.info.Queued = len(s.queue)
		if s.turn == nil && !s.info.QueuePaused && !s.ending && s.info.Status != StatusExited {
			if err := s.dispatch(""); err != nil {
				m.lg.Warn("failed to resume a prompt queue", "session", s.info.ID, "err", err)
			}
		}
		s.mu.Unlock()
	}
}

func indexOfQueued(q []store.QueuedPrompt, id string) int {
	for i := range q {
		if q[i].ID == id {
			return i
		}
	}
	return -1
}
