package contract

import (
	"encoding/json"
	"time"
)

// Event is one entry of Konsole's event stream, as sent in the SSE data
// line: Type is one of the Ev constants and Data that type's payload
// (Payloads lists them).
type Event struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	SessionID string          `json:"sessionId,omitempty"`
	TurnID    string          `json:"turnId,omitempty"`
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data"`
}

// Event types of the stream. Each has one payload type below, whose
// EventType names it.
const (
	EvSessionCreated     = "session.created"
	EvSessionUpdated     = "session.updated"
	EvTurnStarted        = "turn.started"
	EvTextDelta          = "text.delta"
	EvMessage            = "message"
	EvPermissionRequest  = "permission.request"
	EvPermissionResolved = "permission.resolved"
	EvTurnCompleted      = "turn.completed"
	EvAgentExited        = "agent.exited"
	EvAgentInfo          = "agent.info"
	EvQueueUpdated       = "queue.updated"
	EvKontaskCreated     = "kontask.created"
	EvKontaskUpdated     = "kontask.updated"
	EvReset              = "reset"
	EvHeartbeat          = "heartbeat"
	// EvAgentUpdated tells that Konsole's Claude Code CLI changed (a path
	// was set, or it was looked for again).
	EvAgentUpdated = "agent.updated"
	// EvPermissionRules says a session's rules changed.
	EvPermissionRules = "permission.rules"
	// EvSessionRewound says a session was rewound to one of its prompts
	// (POST /v1/sessions/{id}/rewind, applied): see rewind.go.
	EvSessionRewound = "session.rewound"
)

// Payload is the data of one event type: the value an emitter hands to
// the event log, which takes the event's type from it, so that no event
// goes out with another type's data.
type Payload interface {
	EventType() string
}

// Payloads are the payload types of every event type, one each, in the
// order of the Ev constants: the generator and the tests walk them.
func Payloads() []Payload {
	return []Payload{
		SessionCreated{}, SessionUpdated{}, TurnStarted{}, TextDelta{}, Message{},
		PermissionRequest{}, PermissionResolved{}, TurnCompleted{}, AgentExited{},
		AgentInfoChanged{}, QueueUpdated{}, KontaskCreated{}, KontaskUpdated{},
		Reset{}, Heartbeat{}, AgentUpdated{}, PermissionRules{}, SessionRewound{},
	}
}

// SessionCreated is the data of session.created.
type SessionCreated struct {
	Session Session `json:"session"`
}

// SessionUpdated is the data of session.updated: the session as it is now.
type SessionUpdated struct {
	Session Session `json:"session"`
}

// TurnStarted is the data of turn.started. Images is how many images the
// prompt carries (not their bytes).
type TurnStarted struct {
	TurnID          string `json:"turnId"`
	Prompt          string `json:"prompt"`
	ClientMessageID string `json:"clientMessageId,omitempty"`
	Images          int    `json:"images,omitempty"`
}

// TextDelta is the data of text.delta: streamed assistant text.
type TextDelta struct {
	TurnID string `json:"turnId"`
	Text   string `json:"text"`
}

// Message is the data of message: one whole message of the agent (or a
// tool result), its content blocks as the CLI wrote them. ParentToolUseID
// names the Task call a subagent's message belongs to.
type Message struct {
	TurnID          string          `json:"turnId"`
	Role            string          `json:"role"`
	Content         json.RawMessage `json:"content" ts:"ContentBlock[]"`
	ParentToolUseID string          `json:"parentToolUseId,omitempty"`
}

// PermissionResolved is the data of permission.resolved: every request
// gets exactly one. Auto marks Konsole's own deny (auto-deny); Reason is
// set when Konsole denied it because no agent waits for the answer any
// more (DenyAgentExited, DenyKonsoleRestarted).
type PermissionResolved struct {
	RequestID string            `json:"requestId"`
	ToolName  string            `json:"toolName"`
	Input     json.RawMessage   `json:"input"`
	Behavior  string            `json:"behavior"`
	Message   string            `json:"message,omitempty"`
	Mode      string            `json:"mode,omitempty"`
	Answers   map[string]string `json:"answers,omitempty"`
	Always    bool              `json:"always,omitempty"`
	Auto      bool              `json:"auto,omitempty"`
	Reason    string            `json:"reason,omitempty"`
}

// Reasons of a permission.resolved deny that Konsole gave itself because
// no agent waits for the answer any more.
const (
	// DenyAgentExited: the agent exited (a crash, DELETE, Konsole stopping).
	DenyAgentExited = "agent_exited"
	// DenyKonsoleRestarted: Konsole stopped without answering (kill -9, a
	// crash) and answers at its next start.
	DenyKonsoleRestarted = "konsole_restarted"
)

// PermissionRules is the data of permission.rules: the session's rules
// changed.
type PermissionRules struct {
	Rules []Rule `json:"rules"`
}

// TurnCompleted is the data of turn.completed. The pointers are set only
// when the turn has them (a turn that failed before the CLI's result has
// no cost), so that a zero is told from an absence. CostUSD is the turn's
// own cost; Usage its own tokens; ContextTokens of ContextWindow how full
// the model's context was at its last request.
type TurnCompleted struct {
	TurnID        string     `json:"turnId"`
	Reason        string     `json:"reason" ts:"'completed' | 'interrupted' | 'error'"`
	Result        string     `json:"result,omitempty"`
	CostUSD       *float64   `json:"costUsd,omitempty"`
	DurationMs    int64      `json:"durationMs"`
	Error         string     `json:"error,omitempty"`
	StopLatencyMs *int64     `json:"stopLatencyMs,omitempty"`
	Usage         *TurnUsage `json:"usage,omitempty"`
	ContextTokens *int64     `json:"contextTokens,omitempty"`
	ContextWindow *int64     `json:"contextWindow,omitempty"`
}

// Turn-completion reasons.
const (
	ReasonCompleted   = "completed"
	ReasonInterrupted = "interrupted"
	ReasonError       = "error"
)

// TurnUsage is a turn's own tokens, from the CLI's result.
type TurnUsage struct {
	InputTokens      int64 `json:"inputTokens"`
	OutputTokens     int64 `json:"outputTokens"`
	CacheReadTokens  int64 `json:"cacheReadTokens"`
	CacheWriteTokens int64 `json:"cacheWriteTokens"`
}

// AgentExited is the data of agent.exited: the agent process ended;
// Expected when Konsole ended it (DELETE, a Stop's escalation).
type AgentExited struct {
	Error      string `json:"error"`
	StderrTail string `json:"stderrTail"`
	Expected   bool   `json:"expected"`
}

// AgentInfoChanged is the data of agent.info: the session's AgentInfo
// changed (read it with GET /v1/sessions/{id}/info).
type AgentInfoChanged struct {
	SessionID string `json:"sessionId"`
}

// QueueUpdated is the data of queue.updated: the session's whole prompt
// queue, in the order it will be sent.
type QueueUpdated struct {
	SessionID string         `json:"sessionId"`
	Queue     []QueuedPrompt `json:"queue"`
	Paused    bool           `json:"paused"`
}

// AgentUpdated is the data of agent.updated: Konsole's Claude Code CLI
// changed (PUT /v1/agent, the desktop's SetClaudePath).
type AgentUpdated struct {
	Agent Agent `json:"agent"`
}

// KontaskEvent is what kontask.created and kontask.updated carry: the
// kontask, its output cut to a preview when it is long (OutputTruncated,
// OutputBytes the whole length; read the whole with GET /v1/kontasks/{id}).
type KontaskEvent struct {
	Kontask         Kontask `json:"kontask"`
	OutputTruncated bool    `json:"outputTruncated,omitempty"`
	OutputBytes     int     `json:"outputBytes,omitempty"`
}

// KontaskCreated is the data of kontask.created.
type KontaskCreated struct{ KontaskEvent }

// KontaskUpdated is the data of kontask.updated.
type KontaskUpdated struct{ KontaskEvent }

// Reset is the data of reset: the client resumed from an id the log no
// longer keeps (or never wrote); refetch state over REST.
type Reset struct{}

// Heartbeat is the data of heartbeat, sent every 15 s.
type Heartbeat struct{}

func (SessionCreated) EventType() string     { return EvSessionCreated }
func (SessionUpdated) EventType() string     { return EvSessionUpdated }
func (TurnStarted) EventType() string        { return EvTurnStarted }
func (TextDelta) EventType() string          { return EvTextDelta }
func (Message) EventType() string            { return EvMessage }
func (PermissionRequest) EventType() string  { return EvPermissionRequest }
func (PermissionResolved) EventType() string { return EvPermissionResolved }
func (TurnCompleted) EventType() string      { return EvTurnCompleted }
func (AgentExited) EventType() string        { return EvAgentExited }
func (AgentInfoChanged) EventType() string   { return EvAgentInfo }
func (QueueUpdated) EventType() string       { return EvQueueUpdated }
func (KontaskCreated) EventType() string     { return EvKontaskCreated }
func (KontaskUpdated) EventType() string     { return EvKontaskUpdated }
func (Reset) EventType() string              { return EvReset }
func (Heartbeat) EventType() string          { return EvHeartbeat }
func (AgentUpdated) EventType() string       { return EvAgentUpdated }
func (PermissionRules) EventType() string    { return EvPermissionRules }
