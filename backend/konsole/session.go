package konsole

import (
	"encoding/json"
	"time"
)

// Session is the API's view of a session.
type Session struct {
	ID                 string    `json:"id"`
	Cwd                string    `json:"cwd"`
	Status             string    `json:"status"`
	Model              string    `json:"model"`
	PermissionMode     string    `json:"permissionMode,omitempty"`
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

// turn is the running user turn of a session.
type turn struct {
	id          string
	started     time.Time
	stopping    bool
	stopAt      time.Time
	stopTimer   *time.Timer
	escalated   bool
	interruptID string
}

// permission is a tool-permission request waiting for an answer.
type permission struct {
	RequestID string          `json:"requestId"`
	ToolName  string          `json:"toolName"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"toolUseId,omitempty"`
	TurnID    string          `json:"turnId"`
}

// CreateRequest is the body of POST /v1/sessions.
type CreateRequest struct {
	Cwd            string `json:"cwd"`
	Model          string `json:"model"`
	PermissionMode string `json:"permissionMode"`
	Title          string `json:"title"`
}

// PromptRequest is the body of POST /v1/sessions/{id}/prompt.
type PromptRequest struct {
	Text            string `json:"text"`
	ClientMessageID string `json:"clientMessageId"`
}

// PermissionAnswer is the body of POST /v1/sessions/{id}/permissions/{requestId}.
type PermissionAnswer struct {
	Behavior string `json:"behavior"`
	Message  string `json:"message"`
}

var permissionModes = map[string]bool{"": true, "default": true, "acceptEdits": true, "plan": true, "bypassPermissions": true, "dontAsk": true}
