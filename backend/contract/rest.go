package contract

import (
	"encoding/json"
	"fmt"
)

// Error is every error answer of Konsole and the bridge:
// {"error":"a sentence","code":"machine_readable"}.
type Error struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

// Health is GET /healthz (no token).
type Health struct {
	Status  string      `json:"status"`
	Version string      `json:"version"`
	Agent   AgentHealth `json:"agent"`
}

// AgentHealth says whether sessions can run, without the CLI's path.
type AgentHealth struct {
	OK         bool   `json:"ok"`
	Version    string `json:"version,omitempty"`
	MinVersion string `json:"minVersion"`
	Code       string `json:"code,omitempty"`
}

// CreateSession is the body of POST /v1/sessions.
type CreateSession struct {
	Cwd            string `json:"cwd"`
	Model          string `json:"model,omitempty"`
	PermissionMode string `json:"permissionMode,omitempty"`
	Effort         string `json:"effort,omitempty"`
	Title          string `json:"title,omitempty"`
	// Resume continues a conversation of the CLI's own history by its
	// agent session id (GET /v1/history), its messages imported.
	Resume string `json:"resume,omitempty"`
	// Worktree asks for the session's own git worktree and branch.
	Worktree *WorktreeRequest `json:"worktree,omitempty" ts:"boolean | { base?: string; branch?: string; carry?: boolean }"`
}

// WorktreeRequest is the "worktree" field of POST /v1/sessions: true, or
// {"base"?, "branch"?, "carry"?} to choose the base branch and the new
// branch's name, and to carry the repository's uncommitted work over.
type WorktreeRequest struct {
	On     bool   `json:"-"`
	Base   string `json:"base,omitempty"`
	Branch string `json:"branch,omitempty"`
	Carry  bool   `json:"carry,omitempty"`
}

// UnmarshalJSON takes true, false, null or an object.
func (w *WorktreeRequest) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		*w = WorktreeRequest{On: on}
		return nil
	}
	type plain WorktreeRequest
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("worktree must be true or {\"base\"?, \"branch\"?}: %w", err)
	}
	*w = WorktreeRequest(p)
	w.On = true
	return nil
}

// SessionPatch is the body of PATCH /v1/sessions/{id}: what to change.
type SessionPatch struct {
	Title          *string `json:"title,omitempty"`
	Model          *string `json:"model,omitempty"`
	PermissionMode *string `json:"permissionMode,omitempty"`
	Archived       *bool   `json:"archived,omitempty"`
}

// PromptRequest is the body of POST /v1/sessions/{id}/prompt. WhenBusy
// "queue" queues the prompt while a turn runs instead of refusing it.
type PromptRequest struct {
	Text            string `json:"text"`
	ClientMessageID string `json:"clientMessageId,omitempty"`
	WhenBusy        string `json:"whenBusy,omitempty" ts:"'queue' | 'refuse'"`
	// Images go beside the text as image content blocks.
	Images []PromptImage `json:"images,omitempty"`
}

// PromptImage is one image of a prompt: its media type and its bytes in
// standard base64.
type PromptImage struct {
	MediaType string `json:"mediaType"`
	Data      string `json:"data"`
}

// PromptAccepted is the 202 answer of a prompt: the turn it started (or
// the first one, Duplicate, for a clientMessageId seen before), or where
// it waits in the session's queue (Queued, QueueID).
type PromptAccepted struct {
	TurnID    string `json:"turnId,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Queued    bool   `json:"queued,omitempty"`
	QueueID   string `json:"queueId,omitempty"`
}

// Stopped is the answer of POST /v1/sessions/{id}/stop.
type Stopped struct {
	TurnID  string `json:"turnId"`
	Stopped bool   `json:"stopped"`
}

// PermissionAnswer is the body of POST /v1/sessions/{id}/permissions/{requestId}
// (and of the WebSocket's permission frame, forwarded). Mode approves a
// plan and switches the session to that mode; Answers answers a question
// (question text -> the chosen label or a free answer); Always, with
// "allow" on a tool request, also lets every later call of that tool
// through for the rest of the session.
type PermissionAnswer struct {
	Behavior string            `json:"behavior" ts:"'allow' | 'deny'"`
	Message  string            `json:"message,omitempty"`
	Mode     string            `json:"mode,omitempty"`
	Answers  map[string]string `json:"answers,omitempty"`
	Always   bool              `json:"always,omitempty"`
}

// PermissionAnswered is the answer of a permission answer.
type PermissionAnswered struct {
	RequestID string `json:"requestId"`
	Behavior  string `json:"behavior"`
}

// SessionList is GET /v1/sessions, oldest first.
type SessionList struct {
	Sessions []Session `json:"sessions"`
}

// StoredMessage is one entry of a session's transcript: a prompt (role
// user), a message of the CLI, a turn's end (role turn, one
// turn.completed block) or a compaction (role system).
type StoredMessage struct {
	ID        int64           `json:"id"`
	SessionID string          `json:"sessionId"`
	TurnID    string          `json:"turnId"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content" ts:"ContentBlock[]"`
	At        string          `json:"at"`
}

// MessagePage is GET /v1/sessions/{id}/messages: the whole transcript, or
// with ?limit/?before one page, newest first, and whether older ones are
// left.
type MessagePage struct {
	Messages []StoredMessage `json:"messages"`
	HasMore  *bool           `json:"hasMore,omitempty"`
}

// PermissionList is GET /v1/sessions/{id}/permissions.
type PermissionList struct {
	Permissions []PermissionRequest `json:"permissions"`
}

// RuleList is GET /v1/sessions/{id}/rules.
type RuleList struct {
	Rules []Rule `json:"rules"`
}

// Queue is GET /v1/sessions/{id}/queue.
type Queue struct {
	Queue  []QueuedPrompt `json:"queue"`
	Paused bool           `json:"paused"`
}

// QueuePatch edits a queued prompt: its text, or its place (0 is next).
type QueuePatch struct {
	Text     *string `json:"text,omitempty"`
	Position *int    `json:"position,omitempty"`
}

// TurnStartedAnswer is the answer of POST .../queue/{queueId}/send.
type TurnStartedAnswer struct {
	TurnID string `json:"turnId"`
}

// ForkRequest is the body of POST /v1/sessions/{id}/fork: the user
// message (its id in GET /v1/sessions/{id}/messages) whose turn the fork
// keeps as its last; the whole conversation when nil.
type ForkRequest struct {
	MessageID *int64 `json:"messageId,omitempty"`
}

// SetAgent is the body of PUT /v1/agent.
type SetAgent struct {
	Path string `json:"path"`
}

// AutoDenySetting is GET and PUT /v1/settings/auto-deny: 0 is off.
type AutoDenySetting struct {
	Minutes int `json:"minutes"`
}

// Models is GET /v1/models: the newest initialize answer of any agent.
type Models struct {
	Models   []ModelInfo   `json:"models"`
	Commands []CommandInfo `json:"commands"`
	Version  string        `json:"version"`
}

// KontaskList is GET /v1/kontasks, newest first; NextCursor is set when
// more follow.
type KontaskList struct {
	Kontasks   []Kontask `json:"kontasks"`
	Total      int       `json:"total"`
	NextCursor string    `json:"nextCursor,omitempty"`
}
