package contract

import (
	"encoding/json"
	"time"
)

// Session is the API's view of a session (GET /v1/sessions/{id} and the
// session events).
type Session struct {
	ID                 string    `json:"id"`
	Cwd                string    `json:"cwd"`
	Status             string    `json:"status" ts:"'starting' | 'idle' | 'running' | 'stopping' | 'exited' | 'error'"`
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
	Git *Repository `json:"git,omitempty"`
	// Usage sums the session's tokens; nil until a turn has ended.
	Usage *SessionUsage `json:"usage,omitempty"`
	// Archived sessions are listed behind the dashboard's Archived filter.
	Archived bool `json:"archived,omitempty"`
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

// SessionAgent is the CLI a session runs, or why it has none: either Path
// and Version, or Error and Code.
type SessionAgent struct {
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
	Code    string `json:"code,omitempty"`
}

// ForkPoint is where a forked session's conversation branches off: the
// agent session it resumes with --fork-session and, when set, the CLI's
// entry (uuid) it keeps the conversation up to (--resume-session-at).
type ForkPoint struct {
	From string `json:"from"`
	At   string `json:"at,omitempty"`
}

// Repository names a git repository by its folders, decided once and
// given to git explicitly from then on (backend/konsole/worktree). The
// zero Repository is "not a repository".
type Repository struct {
	// GitDir holds this checkout's HEAD and index: the repository's .git,
	// or .git/worktrees/<name> for a linked worktree.
	GitDir string `json:"gitDir,omitempty"`
	// CommonDir holds the objects, the branches and the config; it is
	// GitDir outside a linked worktree.
	CommonDir string `json:"commonDir,omitempty"`
	// WorkTree is the checkout's top folder.
	WorkTree string `json:"workTree,omitempty"`
}

// Worktree is a session's own checkout: the repository it came from, the
// worktree's folder, its branch and the base branch (or commit) it started
// from and merges into.
type Worktree struct {
	Repo   string `json:"repo"`
	Path   string `json:"path"`
	Branch string `json:"branch"`
	Base   string `json:"base"`
	// Git is the worktree's repository, decided when it was made; empty
	// for a worktree kept by an older Konsole.
	Git Repository `json:"git"`
	// Trust is the fingerprint of the repository's config and hooks the
	// person accepted: when the worktree was made, or when they last
	// confirmed a commit, merge or pull request after a change.
	Trust string `json:"trust,omitempty"`
}

// SessionWorktree is a session's worktree as the API shows it; Discarded
// is set once it was removed.
type SessionWorktree struct {
	Worktree
	Discarded bool `json:"discarded,omitempty"`
}

// SessionUsage is what a session used over all its turns, and how full the
// model's context was at its last request (ContextTokens of ContextWindow;
// both 0 until the CLI reported them).
type SessionUsage struct {
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens"`
	CacheWriteTokens int64 `json:"cacheWriteTokens"`
	Turns            int64 `json:"turns"`
	ContextTokens    int64 `json:"contextTokens"`
	ContextWindow    int64 `json:"contextWindow"`
}

// PermissionRequest is a tool-permission request waiting for an answer:
// the data of permission.request and an entry of GET
// /v1/sessions/{id}/permissions. Kind is what the console shows it as: a
// tool to allow, a plan to approve (Plan holds it), or a question to
// answer.
type PermissionRequest struct {
	RequestID string          `json:"requestId"`
	ToolName  string          `json:"toolName"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"toolUseId,omitempty"`
	TurnID    string          `json:"turnId"`
	Kind      string          `json:"kind" ts:"'tool' | 'plan' | 'question'"`
	Plan      string          `json:"plan,omitempty"`
	PlanFile  string          `json:"planFile,omitempty"`
	// RequestedAt is when the CLI asked; AutoDenyAt, when auto-deny is on,
	// is when Konsole will deny it unanswered.
	RequestedAt time.Time  `json:"requestedAt"`
	AutoDenyAt  *time.Time `json:"autoDenyAt,omitempty"`
}

// Kinds of permission requests.
const (
	PermissionTool     = "tool"
	PermissionPlan     = "plan"
	PermissionQuestion = "question"
)

// Rule is one session rule: a tool allowed for the rest of the session.
type Rule struct {
	ToolName    string `json:"toolName"`
	Behavior    string `json:"behavior" ts:"'allow'"`
	Destination string `json:"destination" ts:"'session'"`
}

// QueuedPrompt is a prompt waiting in a session's queue for its turn.
type QueuedPrompt struct {
	ID              string `json:"id"`
	SessionID       string `json:"sessionId"`
	Text            string `json:"text"`
	ClientMessageID string `json:"clientMessageId,omitempty"`
	CreatedAt       string `json:"createdAt"`
}
