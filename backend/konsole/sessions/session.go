package sessions

import (
	"time"

	"github.com/konui/konui/backend/contract"
)

// The API's shapes are declared in backend/contract, the one place of the
// wire contract; these names keep the package's own spelling of them.
type (
	Session         = contract.Session
	ForkPoint       = contract.ForkPoint
	SessionAgent    = contract.SessionAgent
	SessionWorktree = contract.SessionWorktree
	SessionUsage    = contract.SessionUsage
	TurnUsage       = contract.TurnUsage
	Rule            = contract.Rule
	AgentInfo       = contract.AgentInfo
	CreateRequest   = contract.CreateSession
	WorktreeRequest = contract.WorktreeRequest
	SessionPatch    = contract.SessionPatch
	PromptRequest   = contract.PromptRequest
	PromptImage     = contract.PromptImage
	PromptOutcome   = contract.PromptAccepted
	QueuePatch      = contract.QueuePatch
	ForkRequest     = contract.ForkRequest
)

// Session statuses.
const (
	StatusStarting = contract.StatusStarting
	StatusIdle     = contract.StatusIdle
	StatusRunning  = contract.StatusRunning
	StatusStopping = contract.StatusStopping
	StatusExited   = contract.StatusExited
	StatusError    = contract.StatusError
)

// Turn-completion reasons.
const (
	ReasonCompleted   = contract.ReasonCompleted
	ReasonInterrupted = contract.ReasonInterrupted
	ReasonError       = contract.ReasonError
)

// Reasons of a permission.resolved deny that Konsole gave itself.
const (
	DenyAgentExited      = contract.DenyAgentExited
	DenyKonsoleRestarted = contract.DenyKonsoleRestarted
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

// Permission is a tool-permission request waiting for an answer: its
// wire form (contract.PermissionRequest, the data of permission.request)
// and its auto-deny timer.
type Permission struct {
	contract.PermissionRequest
	timer *time.Timer
}

// Kinds of permission requests.
const (
	PermissionTool     = contract.PermissionTool
	PermissionPlan     = contract.PermissionPlan
	PermissionQuestion = contract.PermissionQuestion
)

// PermissionAnswer is an answer to a permission request: the body of
// POST /v1/sessions/{id}/permissions/{requestId}, or Konsole's own deny.
type PermissionAnswer struct {
	contract.PermissionAnswer
	// auto marks Konsole's own deny (auto-deny).
	auto bool
}

var permissionModes = map[string]bool{"": true, "default": true, "acceptEdits": true, "plan": true, "bypassPermissions": true, "dontAsk": true}

// efforts are the --effort levels of the pinned CLI.
var efforts = map[string]bool{"": true, "low": true, "medium": true, "high": true, "xhigh": true, "max": true}
