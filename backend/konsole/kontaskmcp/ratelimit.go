package kontaskmcp

import (
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/time/rate"

	"github.com/konui/konui/backend/konsole/kontask"
)

// ToolRate is how often one session may call a kontask tool: a burst, then
// one call per Every. The operator (Konsole's own token) is not limited.
type ToolRate struct {
	Burst int
	Every time.Duration
}

// ToolRates are the limits of the kontask tools per session. Each call of
// kontask_create or kontask_update is stored and sent to every client, so
// an agent in a loop is stopped here, long before memory or disk.
var ToolRates = map[string]ToolRate{
	kontask.ToolCreate: {Burst: 20, Every: 3 * time.Second},
	kontask.ToolUpdate: {Burst: 30, Every: time.Second},
	kontask.ToolList:   {Burst: 30, Every: 500 * time.Millisecond},
}

type toolLimits struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter // by session id and tool
}

// limitTool returns the tool error to answer when the caller's session is
// over its rate for tool, nil when the call may go on.
func (s *Service) limitTool(c mcpCaller, tool string) *mcp.CallToolResult {
	r, ok := ToolRates[tool]
	if c.sessionID == "" || !ok {
		return nil
	}
	s.limits.mu.Lock()
	if s.limits.buckets == nil {
		s.limits.buckets = map[string]*rate.Limiter{}
	}
	key := c.sessionID + "/" + tool
	l := s.limits.buckets[key]
	if l == nil {
		l = rate.NewLimiter(rate.Every(r.Every), r.Burst)
		s.limits.buckets[key] = l
	}
	s.limits.mu.Unlock()
	if l.Allow() {
		return nil
	}
	return toolError("Nothing was done: this session called %s more than %d times in a row; it may call it once every %s. Wait before calling it again, and do not call it in a loop.",
		tool, r.Burst, r.Every)
}
