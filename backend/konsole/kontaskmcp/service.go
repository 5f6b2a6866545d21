package kontaskmcp

import (
	"log/slog"
	"sync"

	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/konsole/store"
)

// Sessions is what kontasks need of Konsole's sessions: whether one exists
// and whether its agent still runs, and the turn it runs.
type Sessions interface {
	Get(id string) (sessions.Session, error)
	ActiveTurn(id string) string
}

var _ Sessions = (*sessions.Manager)(nil)

// Config configures a Service.
type Config struct {
	Store    *store.Store
	Log      *eventlog.Log
	Sessions Sessions
	// URL returns the http address the agents reach /mcp at, or "" while
	// Konsole is not listening yet.
	URL func() string
	// Version is Konsole's, told to MCP clients.
	Version string
	Logger  *slog.Logger
}

// Service keeps kontasks in the store and announces every change in the
// event log. Creation goes through kontask.New, so the agent's tool and
// the REST API share one set of rules. It also serves the kontask tools
// over MCP (Handler) with per-session tokens and rate limits.
type Service struct {
	st      *store.Store
	log     *eventlog.Log
	mgr     Sessions
	lg      *slog.Logger
	url     func() string
	version string
	keys    *mcpKeys
	limits  toolLimits

	// mu serialises the read-modify-write of updates.
	mu sync.Mutex
}

// New returns a Service over cfg's store, log and sessions.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.URL == nil {
		cfg.URL = func() string { return "" }
	}
	s := &Service{st: cfg.Store, log: cfg.Log, mgr: cfg.Sessions, lg: cfg.Logger, url: cfg.URL, version: cfg.Version, keys: newMCPKeys()}
	s.keys.live = func(id string) bool {
		sess, err := s.mgr.Get(id)
		return err == nil && sess.Status != sessions.StatusExited
	}
	return s
}

// ValidToken tells whether tok is the MCP token of a session whose agent
// still runs; such a token is accepted on /mcp only.
func (s *Service) ValidToken(tok string) bool { return s.keys.valid(tok) }

// Revoke ends the MCP token of a session, before its agent's process ends.
func (s *Service) Revoke(sessionID string) { s.keys.revoke(sessionID) }
