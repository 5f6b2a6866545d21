package sessions

import (
	"encoding/json"
	"time"

	"github.com/konui/konui/backend/konsole/worktree"
)

// Session is the API's view of a session.
type Session struct {
	ID                 string    `json:"id"`
	Cwd                string    `json:"cwd"`
	Status             string    `json:"status"`
	Model              string    `json:"model"`
	PermissionMode     string    `json:"permissionMode,omitempty"`
	Effort             string    `json:"effort,omitempty"`
	AgentStatus        string    `json:"agentStatus,omitempty"`
	Queued             int       `json:"queued"`
	QueuePaused        bool      `json:"queuePaused,omitempty"`
	AgentSessionID     string    `json:"agentSessionId"`
	Title              string    `json:"title"`
	CreatedAt          time.Time `json:"createdAt"`
	UpdatedAt          time.Time `json:"updatedAt"`
	LastError          string    `json:"lastError,omitempty"`
	ActiveTurnID       string    `json:"activeTurnId,omitempty"`
	PendingPermissions int       `json:"pendingPermissions"`
	TotalCostUSD       float64   `json:"totalCostUsd"`
	AgentPID           int       `json:"agentPid,omitempty"`
	// Agent is the CLI the session's agent last started with, or why it
	// could not start.
	Agent *SessionAgent `json:"agent,omitempty"`
	// ForkOf is the session this one was forked from; Fork, until the
	// fork's first turn gives it an id of its own, what its agent resumes.
	ForkOf string     `json:"forkOf,omitempty"`
	Fork   *ForkPoint `json:"fork,omitempty"`
	// Worktree is the session's own git worktree, when it asked for one.
	Worktree *SessionWorktree `json:"worktree,omitempty"`
	// Git is the repository of the session's folder, decided when the
	// session was made ({} outside a repository); a worktree keeps its own
	// in Worktree.Git. Nil for a session an older Konsole made.
	Git *worktree.Repository `json:"git,omitempty"`
	// Usage sums the session's tokens; nil until a turn has ended.
	Usage *SessionUsage `json:"usage,omitempty"`
	// Archived sessions are listed behind the dashboard's Archived filter.
	Archived bool `json:"archived,omitempty"`
}

// ForkPoint is where a forked session's conversation branches off: the
// agent session it resumes with --fork-session and, when set, the CLI's
// entry (uuid) it keeps the conversation up to (--resume-session-at).
type ForkPoint struct {
	From string `json:"from"`
	At   string `json:"at,omitempty"`
}

// Session statuses.
const (
	StatusStarting = "starting"
	StatusIdle     = "idle"
	StatusRunning  = "running"
	StatusStopping = "stopping"
	StatusExited   = "exited"
	StatusError    = "error"
)

// Turn-completion reasons.
const (
	ReasonCompleted   = "completed"
	ReasonInterrupted = "interrupted"
	ReasonError       = "error"
)

// Reasons of a permission.resolved deny that Konsole gave itself because
// no agent waits for the answer any more.
const (
	// DenyAgentExited: the agent exited (a crash, DELETE, Konsole stopping).
	DenyAgentExited = "agent_exited"
	// DenyKonsoleRestarted: Konsole stopped without answering (kill -9, a
	// crash) and answers at its next start.
	DenyKonsoleRestarted = "konsole_restarted"
)

// turn is the running user turn of a session.
type turn struct {
	id          string
	started     time.Time
	stopping    bool
	stopAt      time.Time
	stopTimer   *time.Timer
	escalated   bool
	interruptID string
	// launching: the session's agent starts for this turn (startTurn), which
	// is not sent yet; a Stop meanwhile only marks it stopping.
	launching bool
	// anchor is the CLI's uuid of the turn's prompt and the conversation
	// it went to, from the prompt echoed back (--replay-user-messages):
	// what a rewind of the conversation resumes before.
	anchor, anchorSession string
	// ended: the folder's snapshot at the turn's end is taken (or under
	// way), see checkpointResult.
	ended bool
}

// Permission is a tool-permission request waiting for an answer. Kind is
// what the console shows it as: a tool to allow, a plan to approve (Plan
// holds it), or a question to answer.
type Permission struct {
	RequestID string          `json:"requestId"`
	ToolName  string          `json:"toolName"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"toolUseId,omitempty"`
	TurnID    string          `json:"turnId"`
	Kind      string          `json:"kind"`
	Plan      string          `json:"plan,omitempty"`
	PlanFile  string          `json:"planFile,omitempty"`
	// RequestedAt is when the CLI asked; AutoDenyAt, when auto-deny is on,
	// is when Konsole will deny it unanswered (autodeny.go).
	RequestedAt time.Time  `json:"requestedAt"`
	AutoDenyAt  *time.Time `json:"autoDenyAt,omitempty"`
	timer       *time.Timer
}

// Kinds of permission requests.
const (
	PermissionTool     = "tool"
	PermissionPlan     = "plan"
	PermissionQuestion = "question"
)

// CreateRequest is the body of POST /v1/sessions.
type CreateRequest struct {
	Cwd            string `json:"cwd"`
	Model          string `json:"model"`
	PermissionMode string `json:"permissionMode"`
	Effort         string `json:"effort"`
	Title          string `json:"title"`
	// Resume continues a conversation of the CLI's own history by its
	// agent session id (GET /v1/history), its messages imported.
	Resume string `json:"resume"`
	// Worktree asks for the session's own git worktree and branch.
	Worktree *WorktreeRequest `json:"worktree"`
}

// SessionPatch is the body of PATCH /v1/sessions/{id}: what to change.
type SessionPatch struct {
	Title          *string `json:"title"`
	Model          *string `json:"model"`
	PermissionMode *string `json:"permissionMode"`
	Archived       *bool   `json:"archived"`
}

// PromptRequest is the body of POST /v1/sessions/{id}/prompt. WhenBusy
// "queue" queues the prompt while a turn runs instead of refusing it.
type PromptRequest struct {
	Text            string `json:"text"`
	ClientMessageID string `json:"clientMessageId"`
	WhenBusy        string `json:"whenBusy"`
	// Images go beside the text as image content blocks (see checkImages).
	Images []PromptImage `json:"images,omitempty"`
}

// PermissionAnswer is the body of POST /v1/sessions/{id}/permissions/{requestId}.
// Mode approves a plan and switches the session to that mode; Answers
// answers a question (question text -> the chosen label or a free answer).
type PermissionAnswer struct {
	Behavior string            `json:"behavior"`
	Message  string            `json:"message"`
	Mode     string            `json:"mode"`
	Answers  map[string]string `json:"answers"`
	// Always, with behavior "allow" on a tool request, also lets every later
	// call of that tool through for the rest of the session (a session rule
	// the CLI keeps: permission update addRules).
	Always bool `json:"always"`
	// auto marks Konsole's own deny (auto-deny).
	auto bool
}

var permissionModes = map[string]bool{"": true, "default": true, "acceptEdits": true, "plan": true, "bypassPermissions": true, "dontAsk": true}

// efforts are the --effort levels of the pinned CLI.
var efforts = map[string]bool{"": true, "low": true, "medium": true, "high": true, "xhigh": true, "max": true}
