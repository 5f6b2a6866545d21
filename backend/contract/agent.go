package contract

import "time"

// Agent is Konsole's Claude Code CLI (GET /v1/agent), or why it has none:
// either Path and Version, or Error and Code (agent_not_found,
// agent_not_runnable, agent_too_old).
type Agent struct {
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	// Source says where it was found: "configured", "PATH", "~/.claude/local",
	// "npm prefix", "nvm", "~/.local/bin" or "repository".
	Source     string   `json:"source,omitempty"`
	MinVersion string   `json:"minVersion"`
	Error      string   `json:"error,omitempty"`
	Code       string   `json:"code,omitempty"`
	Install    string   `json:"install,omitempty"`
	Searched   []string `json:"searched,omitempty"`
}

// OK tells whether the CLI can run sessions.
func (a Agent) OK() bool { return a.Error == "" && a.Path != "" }

// AgentInfo is what a session's CLI reported about itself: its initialize
// answer (commands, models), its system/init line (tools, MCP servers,
// slash commands) and how often it compacted. GET /v1/sessions/{id}/info.
type AgentInfo struct {
	SessionID      string        `json:"sessionId"`
	Running        bool          `json:"running"`
	Model          string        `json:"model,omitempty"`
	PermissionMode string        `json:"permissionMode,omitempty"`
	Effort         string        `json:"effort,omitempty"`
	AgentSessionID string        `json:"agentSessionId,omitempty"`
	Version        string        `json:"version,omitempty"`
	OutputStyle    string        `json:"outputStyle,omitempty"`
	Tools          []string      `json:"tools"`
	MCPServers     []MCPServer   `json:"mcpServers"`
	SlashCommands  []string      `json:"slashCommands"`
	Commands       []CommandInfo `json:"commands"`
	Models         []ModelInfo   `json:"models"`
	Compactions    int           `json:"compactions"`
	UpdatedAt      time.Time     `json:"updatedAt"`
}

// MCPServer is an MCP server of the CLI and its status.
type MCPServer struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// ModelInfo is a model the CLI offers.
type ModelInfo struct {
	Value                 string   `json:"value"`
	DisplayName           string   `json:"displayName"`
	Description           string   `json:"description,omitempty"`
	SupportsEffort        bool     `json:"supportsEffort,omitempty"`
	SupportedEffortLevels []string `json:"supportedEffortLevels,omitempty"`
}

// CommandInfo is a slash command the CLI offers.
type CommandInfo struct {
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	ArgumentHint string `json:"argumentHint,omitempty"`
}
