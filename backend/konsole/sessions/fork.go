package sessions

import (
	"net/http"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/textclip"
)

// Fork starts a new session that shares session id's conversation up to
// the end of the turn of prompt req.MessageID (all of it when nil) and
// continues on its own: its agent resumes the conversation with
// --fork-session and --resume-session-at the CLI's last entry of that
// turn, and its transcript starts as a copy of the original's up to
// there. The original is untouched.
func (m *Manager) Fork(id string, req ForkRequest) (Session, error) {
	src, err := m.get(id)
	if err != nil {
		return Session{}, err
	}
	info := src.snapshot()
	if info.AgentSessionID == "" {
		return Session{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "session %s has no conversation to fork yet: fork it once a turn has run", id)
	}
	rows, err := m.Messages(id)
	if err != nil {
		return Session{}, err
	}
	keep, at := rows, ""
	if req.MessageID == nil {
		if info.ActiveTurnID != "" {
			return Session{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn is running in session %s: fork from one of its earlier prompts, or once it has ended", id)
		}
	} else {
		k, cut, turnID := -1, len(rows), ""
		for i, r := range rows {
			if !isPrompt(r.Role, r.Content) {
				continue
			}
			if k >= 0 {
				cut = i
				break
			}
			if r.ID == *req.MessageID {
				k, turnID = countPrompts(rows[:i]), r.TurnID
			}
		}
		switch {
		case k < 0:
			return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "message %d is not a prompt of session %s", *req.MessageID, id)
		case turnID != "" && turnID == info.ActiveTurnID:
			return Session{}, apierror.New(http.StatusConflict, apierror.CodeConflict, "the turn of message %d is still running: fork from it once it has ended", *req.MessageID)
		}
		keep = rows[:cut]
		if at, err = m.forkPoint(info.AgentSessionID, k); err != nil {
			return Session{}, err
		}
	}
	title := textclip.Head(info.Title, 190) + " (fork)"
	return m.create(CreateRequest{Cwd: info.Cwd, Model: info.Model, PermissionMode: info.PermissionMode, Effort: info.Effort, Title: title},
		func(s *session) error {
			s.info.ForkOf, s.info.Fork = id, &ForkPoint{From: info.AgentSessionID, At: at}
			// The fork reads the repository its parent was given, not one
			// found again in a folder the parent's agent has written in.
			if r, err := m.repository(id); err == nil {
				s.info.Git = (*contract.Repository)(&r)
			}
			copied := make([]store.MessageRow, len(keep))
			for i, r := range keep {
				copied[i] = store.MessageRow{SessionID: s.info.ID, TurnID: r.TurnID, Role: r.Role, Content: r.Content, At: r.At}
			}
			return m.st.AddMessages(copied)
		})
}

func countPrompts(rows []store.MessageRow) int {
	n := 0
	for _, r := range rows {
		if isPrompt(r.Role, r.Content) {
			n++
		}
	}
	return n
}

// forkPoint finds, in the CLI's record of agent session agentID, the last
// entry of the turn of its k-th prompt (0 is the first).
func (m *Manager) forkPoint(agentID string, k int) (string, error) {
	_, msgs, err := m.ReadHistory(agentID)
	if err != nil {
		return "", err
	}
	n, last := -1, ""
	for _, msg := range msgs {
		if isPrompt(msg.Role, msg.Content) {
			n++
			if n > k {
				break
			}
		}
		if n == k && msg.UUID != "" {
			last = msg.UUID
		}
	}
	if last == "" {
		return "", apierror.New(http.StatusConflict, apierror.CodeConflict, "the CLI's record of conversation %q does not reach prompt %d", agentID, k+1)
	}
	return last, nil
}
