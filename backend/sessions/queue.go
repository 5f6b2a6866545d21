package sessions

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/konui/konui/backend/apierror"
	"github.com/konui/konui/backend/eventlog"
	"github.com/konui/konui/backend/store"
)

// MaxQueued bounds the prompts queued in one session.
const MaxQueued = 50

// PromptOutcome is the answer to a prompt: the turn it started, or where
// it waits in the session's queue.
type PromptOutcome struct {
	TurnID    string `json:"turnId,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Queued    bool   `json:"queued,omitempty"`
	QueueID   string `json:"queueId,omitempty"`
}

// QueuePatch edits a queued prompt: its text, or its place (0 is next).
type QueuePatch struct {
	Text     *string `json:"text"`
	Position *int    `json:"position"`
}

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
	defer s.mu.Unlock()
	if s.turn != nil && req.WhenBusy == "queue" {
		if len(req.Images) > 0 {
			return PromptOutcome{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "a prompt with images is not queued: send it once the running turn has ended")
		}
		q, err := s.enqueue(req)
		if err != nil {
			return PromptOutcome{}, err
		}
		return PromptOutcome{Queued: true, QueueID: q.ID}, nil
	}
	tid, dup, err := s.startTurn(req)
	return PromptOutcome{TurnID: tid, Duplicate: dup}, err
}

// enqueue stores a prompt at the end of the queue; the caller holds s.mu.
func (s *session) enqueue(req PromptRequest) (store.QueuedPrompt, error) {
	q, err := s.m.st.Queue(s.info.ID)
	if err != nil {
		return store.QueuedPrompt{}, err
	}
	if req.ClientMessageID != "" {
		for _, item := range q {
			if item.ClientMessageID == req.ClientMessageID {
				return item, nil // a retry of the same prompt
			}
		}
	}
	if len(q) >= MaxQueued {
		return store.QueuedPrompt{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "the queue of this session is full (%d prompts)", MaxQueued)
	}
	pos := 1.0
	if len(q) > 0 {
		pos = q[len(q)-1].Position + 1
	}
	item := store.QueuedPrompt{ID: uuid.NewString(), SessionID: s.info.ID, Position: pos, Text: req.Text,
		ClientMessageID: req.ClientMessageID, CreatedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	if err := s.m.st.SaveQueued(item); err != nil {
		return store.QueuedPrompt{}, err
	}
	s.queueChanged(append(q, item))
	return item, nil
}

// queueChanged tells clients the queue and the session's count.
func (s *session) queueChanged(q []store.QueuedPrompt) {
	s.emit(eventlog.EvQueueUpdated, "", map[string]any{"sessionId": s.info.ID, "queue": q, "paused": s.info.QueuePaused})
	s.info.Queued = len(q)
	s.changed()
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
			q, _ := s.m.st.Queue(s.info.ID)
			s.queueChanged(q)
		}
		return
	}
	if s.info.QueuePaused {
		return
	}
	s.dispatch("")
}

// dispatch sends the queued prompt id (the head when ""); the caller holds
// s.mu and no turn runs.
func (s *session) dispatch(id string) error {
	q, err := s.m.st.Queue(s.info.ID)
	if err != nil || len(q) == 0 {
		return err
	}
	i := 0
	if id != "" {
		if i = indexOfQueued(q, id); i < 0 {
			return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no queued prompt %q in this session", id)
		}
	}
	next := q[i]
	// The prompt leaves the queue only once its turn has started: a prompt
	// that could not be sent stays queued.
	if _, _, err := s.startTurn(PromptRequest{Text: next.Text, ClientMessageID: next.ClientMessageID}); err != nil {
		s.m.lg.Warn("failed to send a queued prompt; it stays queued", "session", s.info.ID, "err", err)
		return err
	}
	if _, err := s.m.st.DeleteQueued(s.info.ID, next.ID); err != nil {
		return err
	}
	s.info.QueuePaused = false
	s.queueChanged(append(q[:i:i], q[i+1:]...))
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
	q, err := m.st.Queue(id)
	return q, s.info.QueuePaused, err
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
	defer s.mu.Unlock()
	q, err := m.st.Queue(id)
	if err != nil {
		return store.QueuedPrompt{}, err
	}
	i := indexOfQueued(q, queueID)
	if i < 0 {
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
		if err := m.st.SaveQueued(q[n]); err != nil {
			return store.QueuedPrompt{}, err
		}
	}
	s.queueChanged(q)
	return item, nil
}

// DeleteQueued removes one queued prompt, or all of them when queueID is "".
func (m *Manager) DeleteQueued(id, queueID string) error {
	s, err := m.get(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if queueID == "" {
		err = m.st.ClearQueue(id)
	} else {
		var ok bool
		if ok, err = m.st.DeleteQueued(id, queueID); err == nil && !ok {
			return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no queued prompt %q in this session", queueID)
		}
	}
	if err != nil {
		return err
	}
	q, err := m.st.Queue(id)
	if err != nil {
		return err
	}
	if len(q) == 0 {
		s.info.QueuePaused = false
	}
	s.queueChanged(q)
	return nil
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
	q, err := m.st.Queue(id)
	if err != nil {
		return "", err
	}
	if indexOfQueued(q, queueID) < 0 {
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
	ids, err := m.st.QueuedSessions()
	if err != nil {
		m.lg.Error("failed to read the prompt queues", "err", err)
		return
	}
	for _, id := range ids {
		s, err := m.get(id)
		if err != nil {
			continue
		}
		s.mu.Lock()
		q, _ := m.st.Queue(id)
		s.info.Queued = len(q)
		if s.turn == nil && !s.info.QueuePaused && !s.ending && s.info.Status != StatusExited {
			if err := s.dispatch(""); err != nil {
				m.lg.Warn("failed to resume a prompt queue", "session", id, "err", err)
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
