package konsole

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/agentpeer"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/httpguard"
)

// Config configures a Konsole server.
type Config struct {
	// Listen is the address, "127.0.0.1:7421" by default; port 0 picks one.
	Listen string
	// Token is required on every /v1 and /mcp request.
	Token string
	// TokenFile, when set, is the file Token was read from: when it is
	// replaced (konui konsole --rotate-token), the running Konsole takes
	// the new token at its next request and refuses the old one.
	TokenFile string
	// DataDir holds konsole.db.
	DataDir string
	// Claude is the CLI the user chose (--claude, $KONUI_CLAUDE, the
	// settings): a path or a name on PATH. When empty, the path stored by
	// PUT /v1/agent is used, else Konsole looks where installs put the CLI
	// (see claude.Locate). Env is the agent's environment (nil inherits).
	Claude string
	Env    []string
	// SavedClaude is a CLI path the caller keeps in its own settings (the
	// desktop app's): used when Claude is empty, instead of the path stored
	// by PUT /v1/agent.
	SavedClaude string
	// Repository, when set, is a konui checkout whose .tools/claude CLI is
	// the last place searched (konui started from the repository).
	Repository string
	// SkipAgentCheck runs Claude as given, without looking for it or
	// running it with --version: for tests whose agent is another program.
	SkipAgentCheck bool
	// TLSCert and TLSKey serve https; InsecureRemote allows plain http on a
	// non-loopback address.
	TLSCert, TLSKey string
	InsecureRemote  bool
	// HeartbeatInterval of the event stream (15 s when zero).
	HeartbeatInterval time.Duration
	// KeepEvents is how many events are kept for replay; KeepEventBytes
	// how many bytes of them at most (eventlog.DefaultKeepEventBytes when zero).
	KeepEvents     int64
	KeepEventBytes int64
	// MaxConns caps the connections open at once (httpguard.MaxConns when
	// zero); IdleTimeout closes a silent keep-alive connection
	// (httpguard.IdleTimeout when zero).
	MaxConns    int
	IdleTimeout time.Duration
	// StopGrace, EscalateStep and AutoDenyUnit: see sessions.ManagerConfig.
	StopGrace, EscalateStep time.Duration
	AutoDenyUnit            time.Duration
	Version                 string
	Logger                  *slog.Logger
}

// Server is a running Konsole. The caller should call Close.
type Server struct {
	cfg Config
	lg  *slog.Logger
	st  *store.Store
	log *eventlog.Log
	mgr *sessions.Manager

	kontasks *kontaskmcp.Service
	exposure *exposure
	// tokMu guards tok, the token in use (token.go).
	tokMu sync.Mutex
	tok   tokenState
	// agents refuses requests from the agents' own processes.
	agents *agentpeer.Guard

	handlerOnce sync.Once
	handler     http.Handler
	http        *http.Server
	urlMu       sync.Mutex // guards ln, url and agentLn, read by agents' Prepare
	ln          net.Listener
	url         string
	// agentLn and agentHTTP serve /mcp to the agents in plain http on
	// loopback when Konsole itself serves TLS (see startAgentMCP).
	agentLn   net.Listener
	agentHTTP *http.Server
	closeOnce sync.Once
	lock      *os.File
}

// DefaultListen is Konsole's default address.
const DefaultListen = "127.0.0.1:7421"

// New opens the data folder and loads the sessions; it does not listen yet.
func New(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		return nil, errors.New("konsole needs a token")
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if err := CheckListen(cfg.Listen, cfg.TLSCert != "", cfg.InsecureRemote); err != nil {
		return nil, err
	}
	// The agents run as this user: keep them out of this process's memory
	// and environment, where the token is.
	if err := auth.ProtectProcess(); err != nil {
		cfg.Logger.Warn("the agents may be able to read Konsole's memory", "err", err)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "konsole.db"))
	if err != nil {
		lock.Close()
		return nil, err
	}
	lg, err := eventlog.NewLogBytes(st, cfg.KeepEvents, cfg.KeepEventBytes, cfg.Logger)
	if err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, lg: cfg.Logger, st: st, log: lg, lock: lock, exposure: loadExposure(cfg.DataDir, cfg.Token)}
	s.tok.token = cfg.Token
	s.tok.gen, s.tok.cancel = context.WithCancel(context.Background())
	if cfg.TokenFile != "" {
		if fi, err := os.Stat(cfg.TokenFile); err == nil {
			s.tok.seen = stampOf(fi)
		}
	}
	s.agents = &agentpeer.Guard{Agents: s.AgentPIDs, Exempt: s.agentsOwnCall}
	s.mgr, err = sessions.NewManager(sessions.ManagerConfig{Claude: cfg.Claude, Env: cfg.Env, StopGrace: cfg.StopGrace,
		EscalateStep: cfg.EscalateStep, AutoDenyUnit: cfg.AutoDenyUnit, Logger: cfg.Logger, Prepare: s.prepareAgent, Watch: s.watchAgentOutput, DataDir: cfg.DataDir}, lg, st)
	if err != nil {
		lg.Close()
		st.Close()
		lock.Close()
		return nil, err
	}
	s.kontasks = kontaskmcp.New(kontaskmcp.Config{Store: st, Log: lg, Sessions: s.mgr, URL: s.mcpURL, Version: cfg.Version, Logger: cfg.Logger})
	configured := cfg.Claude
	if configured == "" {
		configured = cfg.SavedClaude
	}
	if configured == "" {
		configured = s.storedAgentPath()
	}
	in := s.locateAgent(configured)
	s.mgr.SetAgent(in)
	if in.OK() {
		cfg.Logger.Info("Claude Code CLI", "path", in.Path, "version", in.Version, "found in", in.Source)
	} else {
		cfg.Logger.Warn("no usable Claude Code CLI; sessions cannot start until one is set", "reason", in.Error)
	}
	return s, nil
}

// CheckListen refuses plain http on an address other machines can reach.
func CheckListen(addr string, tls, insecure bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("failed to read the listen address %q: %w", addr, err)
	}
	if tls || insecure || IsLoopback(host) {
		return nil
	}
	return fmt.Errorf("refusing to serve plain http on %q, which other machines can reach: pass --tls-cert and --tls-key, or --insecure-remote if the network is trusted", addr)
}

// IsLoopback tells whether host names only this machine.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler {
	s.handlerOnce.Do(func() { s.handler = s.routes() })
	return s.handler
}

// Manager returns the session manager.
func (s *Server) Manager() *sessions.Manager { return s.mgr }

// Log returns the event log.
func (s *Server) Log() *eventlog.Log { return s.log }

// Store returns the database.
func (s *Server) Store() *store.Store { return s.st }

// Start listens and serves in the background.
func (s *Server) Start() error {
	cert, err := httpguard.LoadCert(s.cfg.TLSCert, s.cfg.TLSKey)
	if err != nil {
		return err
	}
	ln, scheme, err := httpguard.Listen(s.cfg.Listen, s.cfg.MaxConns, cert)
	if err != nil {
		return err
	}
	s.urlMu.Lock()
	s.ln = ln
	s.url = scheme + "://" + ln.Addr().String()
	s.urlMu.Unlock()
	s.http = httpguard.NewServer(s.Handler(), slog.NewLogLogger(s.lg.Handler(), slog.LevelDebug))
	if s.cfg.IdleTimeout > 0 {
		s.http.IdleTimeout = s.cfg.IdleTimeout
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.lg.Error("konsole stopped serving", "err", err)
		}
	}()
	if scheme == "https" {
		if err := s.startAgentMCP(); err != nil {
			s.http.Close()
			return err
		}
	}
	// Prompts queued behind a turn that the last stop cut short go now
	// that agents can reach /mcp.
	go s.mgr.ResumeQueues()
	return nil
}

// URL returns the base URL once started.
func (s *Server) URL() string {
	s.urlMu.Lock()
	defer s.urlMu.Unlock()
	return s.url
}

// Close stops serving, ends the agents and closes the log and database.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.log.EndSubscriptions()
			_ = s.http.Shutdown(ctx) // what is still open when it gives up is closed next
			cancel()
			s.http.Close()
		}
		if s.agentHTTP != nil {
			s.agentHTTP.Close()
		}
		s.mgr.Close()
		s.log.Close()
		s.st.Close()
		s.lock.Close()
	})
	return nil
}

// AgentPIDs returns the pids of the agent processes running now.
func (s *Server) AgentPIDs() []int {
	var pids []int
	for _, sess := range s.mgr.List() {
		if sess.AgentPID > 0 {
			pids = append(pids, sess.AgentPID)
		}
	}
	return pids
}

// agentsOwnCall is the one call an agent makes to Konsole: /mcp with its
// session's own token (kontask_create).
func (s *Server) agentsOwnCall(r *http.Request) bool {
	return r.URL.Path == "/mcp" && s.kontasks.ValidToken(auth.FromRequest(r))
}
