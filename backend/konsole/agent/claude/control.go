package claude

import (
	"encoding/json"
	"fmt"

	"github.com/konui/konui/backend/contract"
)

// Control sends a control request of subtype with fields beside it (for
// example set_model with "model") and returns the request id that the
// CLI's control_response will carry.
func (p *Process) Control(subtype string, fields map[string]any) (string, error) {
	id := fmt.Sprintf("ctl_%d_konsole", p.seq.Add(1))
	req := map[string]any{"subtype": subtype}
	for k, v := range fields {
		req[k] = v
	}
	return id, p.write(map[string]any{"type": "control_request", "request_id": id, "request": req})
}

// Allow answers a can_use_tool request with allow: input is the tool input
// to run with (the CLI requires it), permissions the permission updates
// that come with it (a mode change, a rule), or nil.
func (p *Process) Allow(requestID string, input json.RawMessage, permissions []map[string]any) error {
	if len(input) == 0 {
		input = json.RawMessage("{}")
	}
	resp := map[string]any{"behavior": "allow", "updatedInput": input}
	if len(permissions) > 0 {
		resp["updatedPermissions"] = permissions
	}
	return p.write(map[string]any{
		"type":     "control_response",
		"response": map[string]any{"subtype": "success", "request_id": requestID, "response": resp},
	})
}

// ModelInfo and CommandInfo are the CLI's models and slash commands, as
// the wire contract shows them (backend/contract).
type (
	ModelInfo   = contract.ModelInfo
	CommandInfo = contract.CommandInfo
)

// Capabilities is what the CLI's initialize answer says it offers: the
// source of the console's menus.
type Capabilities struct {
	Commands              []CommandInfo `json:"commands"`
	Models                []ModelInfo   `json:"models"`
	OutputStyle           string        `json:"output_style,omitempty"`
	CurrentPermissionMode string        `json:"current_permission_mode,omitempty"`
	Version               string        `json:"claude_code_version,omitempty"`
}

// ParseCapabilities reads an initialize answer; fields it does not know are skipped.
func ParseCapabilities(raw json.RawMessage) (Capabilities, error) {
	var c Capabilities
	if len(raw) == 0 {
		return c, fmt.Errorf("failed to read the initialize answer: it is empty")
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("failed to read the initialize answer: %w", err)
	}
	return c, nil
}
