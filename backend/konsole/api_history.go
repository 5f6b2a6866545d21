package konsole

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/history"
	"github.com/konui/konui/backend/httpjson"
	"github.com/konui/konui/backend/store"
)

// historyRoutes serves the CLI's own conversations: the list, one
// conversation's messages, and forks of Konui sessions. Continuing one is
// POST /v1/sessions with "resume".
func (s *Server) historyRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/history", func(w http.ResponseWriter, r *http.Request) {
		list, err := history.List(s.mgr.agentHome())
		if err != nil {
			writeError(w, errorf(http.StatusInternalServerError, CodeInternal, "%v", err))
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"conversations": list})
	})
	route("GET", "/v1/history/{agentSessionId}", func(w http.ResponseWriter, r *http.Request) {
		c, msgs, err := s.mgr.readHistory(r.PathValue("agentSessionId"))
		if msgs == nil {
			msgs = []history.Message{}
		}
		reply(w, http.StatusOK, map[string]any{"conversation": c, "messages": msgs}, err)
	})
	route("POST", "/v1/sessions/{id}/fork", func(w http.ResponseWriter, r *http.Request) {
		var req ForkRequest
		if !decode(w, r, &req) || s.refuseWhileStorageFails(w) {
			return
		}
		sess, err := s.mgr.Fork(r.PathValue("id"), req)
		reply(w, http.StatusCreated, sess, err)
	})
}

// ForkRequest is the body of POST /v1/sessions/{id}/fork: the user
// message (its id in GET /v1/sessions/{id}/messages) whose turn the fork
// keeps as its last; the whole conversation when nil.
type ForkRequest struct {
	MessageID *int64 `json:"messageId"`
}

// agentHome is the HOME of the agents: the one in their environment, or
// Konsole's own.
func (m *Manager) agentHome() string {
	for i := len(m.cfg.Env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(m.cfg.Env[i], "HOME="); ok {
			return v
		}
	}
	home, _ := os.UserHomeDir()
	return home
}

func (m *Manager) readHistory(id string) (history.Conversation, []history.Message, error) {
	c, msgs, err := history.Read(m.agentHome(), id)
	switch {
	case errors.Is(err, history.ErrNotFound):
		return c, nil, errorf(http.StatusNotFound, CodeNotFound, "the CLI keeps no conversation %q", id)
	case err != nil:
		return c, nil, errorf(http.StatusInternalServerError, CodeInternal, "%v", err)
	}
	return c, msgs, nil
}

// resumeCreate readies a session that continues conversation req.Resume of
// the CLI's history: its folder (the conversation's, when req has none),
// and a prep that resumes it and imports its messages.
func (m *Manager) resumeCreate(req CreateRequest) (string, func(*session) error, error) {
	c, msgs, err := m.readHistory(req.Resume)
	if err != nil {
		return "", nil, err
	}
	cwd := strings.TrimSpace(req.Cwd)
	if cwd == "" {
		cwd = c.Cwd
	}
	if c.Cwd != "" && filepath.Clean(cwd) != filepath.Clean(c.Cwd) {
		return "", nil, errorf(http.StatusBadRequest, CodeBadRequest, "conversation %q belongs to %s, not %s: the CLI resumes a conversation only in its own folder", req.Resume, c.Cwd, cwd)
	}
	for _, other := range m.List() {
		if other.AgentSessionID == req.Resume {
			return "", nil, errorf(http.StatusConflict, CodeConflict, "session %s already continues conversation %q", other.ID, req.Resume)
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
