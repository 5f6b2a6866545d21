package claude

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/konui/konui/backend/contract"
)

// Output is one parsed stdout line of the CLI. Exactly one of the pointer
// fields is set, matching Kind.
type Output struct {
	Kind Kind

	Init       *Init
	TextDelta  string
	Message    *Message
	Result     *Result
	Permission *PermissionRequest
	Control    *ControlResponse
	System     *System
	// Raw is the line as read, for logging unknown types.
	Raw []byte
}

// Kind names what an Output carries.
type Kind string

// The kinds of Output.
const (
	KindInit       Kind = "init"
	KindTextDelta  Kind = "text_delta"
	KindMessage    Kind = "message"
	KindResult     Kind = "result"
	KindPermission Kind = "permission"
	KindControl    Kind = "control_response"
	KindSystem     Kind = "system"
	KindUnknown    Kind = "unknown"
)

// Init is the system/init line: the agent's own session id, model, mode,
// tools, MCP servers and slash commands.
type Init struct {
	SessionID      string      `json:"session_id"`
	Model          string      `json:"model"`
	PermissionMode string      `json:"permissionMode"`
	Cwd            string      `json:"cwd"`
	Tools          []string    `json:"tools"`
	MCPServers     []MCPServer `json:"mcp_servers"`
	SlashCommands  []string    `json:"slash_commands"`
}

// MCPServer is an MCP server of the CLI and its status (backend/contract).
type MCPServer = contract.MCPServer

// System is another system line: status (a mode change, compacting) or
// compact_boundary. Other subtypes are skipped.
type System struct {
	Subtype        string          `json:"subtype"`
	Status         *string         `json:"status"`
	PermissionMode string          `json:"permissionMode"`
	SessionID      string          `json:"session_id"`
	CompactMeta    json.RawMessage `json:"compact_metadata,omitempty"`
}

// Message is an assistant message (text, tool_use, thinking blocks) or a
// user message (tool results, the interrupt marker).
type Message struct {
	Role            string          `json:"role"`
	Content         json.RawMessage `json:"content"`
	ParentToolUseID string          `json:"parent_tool_use_id,omitempty"`
	// Usage is the API's token count of the request that made an
	// assistant message (its context at that point).
	Usage *APIUsage `json:"usage,omitempty"`
	// UUID is the CLI's id of the message in its conversation record,
	// SessionID the conversation's.
	UUID      string `json:"-"`
	SessionID string `json:"-"`
	// Replay marks a user message Konsole sent, echoed back with its
	// UUID (--replay-user-messages): the anchor of a rewind.
	Replay bool `json:"-"`
}

// Result ends a turn.
type Result struct {
	Subtype      string  `json:"subtype"`
	IsError      bool    `json:"is_error"`
	Result       string  `json:"result"`
	TotalCostUSD float64 `json:"total_cost_usd"`
	DurationMs   int64   `json:"duration_ms"`
	NumTurns     int     `json:"num_turns"`
	SessionID    string  `json:"session_id"`
	StopReason   *string `json:"stop_reason"`
	// Usage sums the tokens of the turn's requests.
	Usage *APIUsage `json:"usage,omitempty"`
	// ModelUsage is per model, since the process started.
	ModelUsage map[string]ModelUsage `json:"modelUsage,omitempty"`
	// SinceLast is per model, since the previous result (this turn).
	SinceLast map[string]ModelUsage `json:"model_usage_since_last_result,omitempty"`
}

// PermissionRequest is a can_use_tool control request: the CLI waits for
// AnswerPermission before it runs the tool.
type PermissionRequest struct {
	RequestID string          `json:"request_id"`
	ToolName  string          `json:"tool_name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
}

// ControlResponse answers a control request Konsole sent (initialize, an
// interrupt, set_model, ...); Response is the answer's own payload.
type ControlResponse struct {
	RequestID string          `json:"request_id"`
	Subtype   string          `json:"subtype"`
	Error     string          `json:"error,omitempty"`
	Response  json.RawMessage `json:"response,omitempty"`
}

// ErrMalformed reports a stdout line that is not a JSON object with a type.
var ErrMalformed = errors.New("malformed stream-json line")

type envelope struct {
	Type            string          `json:"type"`
	Subtype         string          `json:"subtype"`
	SessionID       string          `json:"session_id"`
	Message         json.RawMessage `json:"message"`
	Event           json.RawMessage `json:"event"`
	ParentToolUseID *string         `json:"parent_tool_use_id"`
	RequestID       string          `json:"request_id"`
	Request         json.RawMessage `json:"request"`
	Response        json.RawMessage `json:"response"`
	UUID            string          `json:"uuid"`
	IsReplay        bool            `json:"isReplay"`
}

// ParseLine parses one stdout line. Lines of a type Konsole does not use
// come back with KindUnknown and no error; lines that are not JSON objects,
// or whose known type has the wrong shape, return an error wrapping ErrMalformed.
func ParseLine(line []byte) (Output, error) {
	out := Output{Kind: KindUnknown, Raw: line}
	var env envelope
	if err := json.Unmarshal(line, &env); err != nil {
		return out, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Type == "" {
		return out, fmt.Errorf("%w: no type", ErrMalformed)
	}
	var err error
	switch env.Type {
	case "system":
		switch env.Subtype {
		case "init":
			var in Init
			if err = json.Unmarshal(line, &in); err == nil {
				out.Kind, out.Init = KindInit, &in
			}
		case "status", "compact_boundary":
			var sys System
			if err = json.Unmarshal(line, &sys); err == nil {
				out.Kind, out.System = KindSystem, &sys
			}
		}
	case "stream_event":
		out, err = parseStreamEvent(out, env.Event)
		if out.Kind == KindTextDelta && env.ParentToolUseID != nil && *env.ParentToolUseID != "" {
			// A subagent's deltas: its whole message follows, under its Task call.
			out = Output{Kind: KindUnknown, Raw: line}
		}
	case "assistant", "user":
		var m Message
		if err = json.Unmarshal(env.Message, &m); err == nil {
			if m.Role == "" {
				m.Role = env.Type
			}
			if len(m.Content) > 0 && m.Content[0] == '"' {
				// A plain string content: normalise to one text block.
				var s string
				_ = json.Unmarshal(m.Content, &s) // valid JSON, as part of the line, and a string
				m.Content, _ = json.Marshal([]map[string]string{{"type": "text", "text": s}})
			}
			if env.ParentToolUseID != nil {
				m.ParentToolUseID = *env.ParentToolUseID
			}
			m.UUID, m.SessionID, m.Replay = env.UUID, env.SessionID, env.IsReplay
			out.Kind, out.Message = KindMessage, &m
		}
	case "result":
		var r Result
		if err = json.Unmarshal(line, &r); err == nil {
			out.Kind, out.Result = KindResult, &r
		}
	case "control_request":
		out, err = parseControlRequest(out, env)
	case "control_response":
		var c ControlResponse
		if err = json.Unmarshal(env.Response, &c); err == nil {
			out.Kind, out.Control = KindControl, &c
		}
	}
	if err != nil {
		return Output{Kind: KindUnknown, Raw: line}, fmt.Errorf("%w: %s line: %v", ErrMalformed, env.Type, err)
	}
	return out, nil
}

func parseStreamEvent(out Output, raw json.RawMessage) (Output, error) {
	var ev struct {
		Type  string `json:"type"`
		Delta struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"delta"`
	}
	if len(raw) == 0 {
		return out, errors.New("stream_event without event")
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return out, err
	}
	if ev.Type == "content_block_delta" && ev.Delta.Type == "text_delta" {
		out.Kind, out.TextDelta = KindTextDelta, ev.Delta.Text
	}
	return out, nil
}

func parseControlRequest(out Output, env envelope) (Output, error) {
	var req struct {
		Subtype   string          `json:"subtype"`
		ToolName  string          `json:"tool_name"`
		Input     json.RawMessage `json:"input"`
		ToolUseID string          `json:"tool_use_id"`
	}
	if err := json.Unmarshal(env.Request, &req); err != nil {
		return out, err
	}
	if req.Subtype != "can_use_tool" {
		return out, nil
	}
	if env.RequestID == "" || req.ToolName == "" {
		return out, errors.New("can_use_tool without request_id or tool_name")
	}
	if len(req.Input) == 0 {
		req.Input = json.RawMessage("{}")
	}
	out.Kind = KindPermission
	out.Permission = &PermissionRequest{RequestID: env.RequestID, ToolName: req.ToolName, Input: req.Input, ToolUseID: req.ToolUseID}
	return out, nil
}
