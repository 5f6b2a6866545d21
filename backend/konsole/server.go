package konsole

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/konui/konui/backend/store"
)

// Config configures a Konsole server.
type Config struct {
	// Listen is the address, "127.0.0.1:7421" by default; port 0 picks one.
	Listen string
	// Token is required on every /v1 and /mcp request.
	Token string
	// DataDir holds konsole.db.
	DataDir string
	// Claude is the CLI binary; Env the agent's environment (nil inherits).
	Claude string
	Env    []string
	// TLSCert and TLSKey serve https; InsecureRemote allows plain http on a
	// non-loopback address.
	TLSCert, TLSKey string
	InsecureRemote  bool
	// HeartbeatInterval of the event stream (15 s when zero).
	HeartbeatInterval time.Duration
	// KeepEvents is how many events are kept for replay.
	KeepEvents int64
	// StopGrace and EscalateStep: see ManagerConfig.
	StopGrace, EscalateStep time.Duration
	Version                 string
	Logger                  *slog.Logger
}

// Server is a running Konsole. The caller should call Close.
type Server struct {
	cfg Config
	lg  *slog.Logger
	st  *store.Store
	log *Log
	mgr *Manager

	kontasks *kontasks
	mcpKeys  mcpKeys

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
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(cfg.DataDir, "konsole.db"))
	if err != nil {
		lock.Close()
		return nil, err
	}
	lg, err := NewLog(st, cfg.KeepEvents, cfg.Logger)
	if err != nil {
		st.Close()
		lock.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, lg: cfg.Logger, st: st, log: lg, lock: lock, mcpKeys: newMCPKeys()}
	s.mgr, err = NewManager(ManagerConfig{Claude: cfg.Claude, Env: cfg.Env, StopGrace: cfg.StopGrace,
		EscalateStep: cfg.EscalateStep, Logger: cfg.Logger, Prepare: s.prepareAgent, DataDir: cfg.DataDir}, lg, st)
	if err != nil {
		lg.Close()
		st.Close()
		lock.Close()
		return nil, err
	}
	s.kontasks = &kontasks{st: st, log: lg, mgr: s.mgr, lg: cfg.Logger}
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
func (s *Server) Manager() *Manager { return s.mgr }

// Log returns the event log.
func (s *Server) Log() *Log { return s.log }

// Store returns the database.
func (s *Server) Store() *store.Store { return s.st }

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", s.cfg.Listen, err)
	}
	scheme := "http"
	if s.cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.cfg.TLSCert, s.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("failed to load the TLS certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	s.urlMu.Lock()
	s.ln = ln
	s.url = scheme + "://" + ln.Addr().String()
	s.urlMu.Unlock()
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.lg.Handler(), slog.LevelDebug)}
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
			s.http.Shutdown(ctx)
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

// Token returns the API token.
func (s *Server) Token() string { return s.cfg.Token }
