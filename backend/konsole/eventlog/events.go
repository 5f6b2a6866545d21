package eventlog

import (
	"encoding/json"
	"time"
)

// Event is one entry of the event stream, as sent in the SSE data line.
type Event struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	SessionID string          `json:"sessionId,omitempty"`
	TurnID    string          `json:"turnId,omitempty"`
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data"`
}

// Event types of the stream.
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
	// was set, or it was looked for again): data {"agent": Install}.
	EvAgentUpdated = "agent.updated"
	// EvPermissionRules says a session's rules changed: {"rules":[Rule]}.
	EvPermissionRules = "permission.rules"
	// EvSessionRewound says a session was rewound to one of its prompts
	// (POST /v1/sessions/{id}/rewind, applied): the rewind's answer with
	// the prompt's messageId and turnId.
	EvSessionRewound = "session.rewound"
)
