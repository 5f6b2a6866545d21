package kontaskmcp

import (
	"encoding/json"
	"os"
	"slices"
	"strings"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/kontask"
)

// MCPTokenEnv is the variable through which an agent receives its session's
// MCP token: the --mcp-config names it instead of holding the token, so the
// token does not appear in the process list.
const MCPTokenEnv = "KONSOLE_MCP_TOKEN"

// PrepareAgent gives each agent the --mcp-config for Konsole's /mcp with
// its session's token, and allows the kontask tools. It runs before every
// start, so it sees the URL Konsole listens on (known only after Start).
func (s *Service) PrepareAgent(sessionID string, opts *claude.Options) {
	url := s.url()
	if url == "" {
		s.lg.Warn("Konsole is not listening yet; the agent starts without the kontask tools", "session", sessionID)
		return
	}
	cfg := map[string]any{"mcpServers": map[string]any{kontask.ServerName: map[string]any{
		"type": "http", "url": url,
		"headers": map[string]string{"Authorization": "Bearer ${" + MCPTokenEnv + "}"},
		// Claude Code defers MCP tools behind its ToolSearch tool, where an
		// agent would not think of looking for kontask_create: load it up front.
		"alwaysLoad": true,
	}}}
	b, _ := json.Marshal(cfg)
	opts.MCPConfig = string(b)
	opts.AllowedTools = append(opts.AllowedTools, kontask.ClaudeTools...)
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	opts.Env = append(withoutVars(env, secretVars...), MCPTokenEnv+"="+s.keys.token(sessionID))
}

// secretVars are never passed on to an agent: with Konsole's own token an
// agent could answer its own permission requests.
var secretVars = []string{MCPTokenEnv, "KONSOLE_TOKEN", "KONUI_TOKEN"}

func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}
