package sessions

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/konsole/history"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// AgentHome is the HOME of the agents: the one in their environment, or
// Konsole's own.
func (m *Manager) AgentHome() string {
	for i := len(m.cfg.Env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(m.cfg.Env[i], "HOME="); ok {
			return v
		}
	}
	home, _ := os.UserHomeDir()
	return home
}

// ReadHistory reads one conversation of the CLI's own history by its
// agent session id: not_found when the CLI keeps none.
func (m *Manager) ReadHistory(id string) (history.Conversation, []history.Message, error) {
	c, msgs, err := history.Read(m.AgentHome(), id)
	switch {
	case errors.Is(err, history.ErrNotFound):
		return c, nil, apierror.New(http.StatusNotFound, apierror.CodeNotFound, "the CLI keeps no conversation %q", id)
	case err != nil:
		return c, nil, apierror.New(http.StatusInternalServerError, apierror.CodeInternal, "%v", err)
	}
	return c, msgs, nil
}

// resumeCreate readies a session that continues conversation req.Resume of
// the CLI's history: its folder (the conversation's, when req has none),
// and a prep that resumes it and imports its messages.
func (m *Manager) resumeCreate(req CreateRequest) (string, func(*session) error, error) {
	c, msgs, err := m.ReadHistory(req.Resume)
	if err != nil {
		return "", nil, err
	}
	cwd := strings.TrimSpace(req.Cwd)
	if cwd == "" {
		cwd = c.Cwd
	}
	if c.Cwd != "" && filepath.Clean(cwd) != filepath.Clean(c.Cwd) {
		return "", nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "conversation %q belongs to %s, not %s: the CLI resumes a conversation only in its own folder", req.Resume, c.Cwd, cwd)
	}
	for _, other := range m.List() {
		if other.AgentSessionID == req.Resume {
			return "", nil, apierror.New(http.StatusConflict, apierror.CodeConflict, "session %s already continues conversation %q", other.ID, req.Resume)
		}
	}
	return cwd, func(s *session) error {
		s.info.AgentSessionID = req.Resume
		if s.info.Title == "" {
			s.info.Title = c.Title
		}
		rows := make([]store.MessageRow, 0, len(msgs))
		for _, msg := range msgs {
			rows = append(rows, store.MessageRow{SessionID: s.info.ID, Role: msg.Role, Content: msg.Content, At: atOr(msg.At, c.UpdatedAt)})
		}
		return m.st.AddMessages(rows)
	}, nil
}

func atOr(at string, fallback time.Time) string {
	if _, err := time.Parse(time.RFC3339Nano, at); err == nil {
		return at
	}
	return fallback.Format(time.RFC3339Nano)
}

// isPrompt reports whether content is a prompt the user wrote, not the
// tool results the CLI sends back as a user message.
func isPrompt(role string, content json.RawMessage) bool {
	if role != "user" {
		return false
	}
	var bs []struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(content, &bs) != nil {
		return false
	}
	text := false
	for _, b := range bs {
		switch b.Type {
		case "tool_result":
			return false
		case "text":
			text = true
		}
	}
	return text
}
