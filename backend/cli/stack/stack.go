package stack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/bridge/sshtunnel"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/httpguard"
	"github.com/konui/konui/backend/shared/paths"
	"github.com/konui/konui/frontend"
)

// Stack is a running bridge with the Konsoles it follows.
type Stack struct {
	Bridge *bridge.Bridge
	// Konsole is the embedded local one; nil when Config.Local was false.
	Konsole *konsole.Server
	// Fleet is the stored list the bridge's /api/konsoles changes.
	Fleet *fleet.Fleet

	srv       *http.Server
	served    chan error
	closeOnce sync.Once
}

// Config says which Konsoles a bridge follows and how it serves.
type Config struct {
	// Local runs the embedded local Konsole (id "local") in this process.
	Local bool
	// Remotes are the Konsoles of this run's --konsole flags: each is
	// connected and tested at start (fleet.Connect), never stored.
	Remotes []fleet.Target
	// Fleet is the stored list (konsoles.json): its Konsoles are followed
	// too, and the dashboard's "Add Konsole" adds to it. Nil opens the one
	// in konui's config folder (OpenFleet(DefaultFleetPath())).
	Fleet *fleet.Fleet
	// DataDir is the local Konsole's data folder (default
	// paths.KonsoleDataDir); Claude the CLI of a flag, SavedClaude the one
	// in the app's settings.
	DataDir, Claude, SavedClaude string
	// Token is the dashboard's token for the bridge.
	Token string
	// Version is konui's, reported by the bridge and the local Konsole.
	Version string
	// UI serves the built dashboard at /.
	UI     bool
	Logger *slog.Logger
	// Bridge, when set, adjusts the bridge's configuration (the desktop
	// app's observer and notifier).
	Bridge func(*bridge.Config)
}

// DefaultFleetPath is konsoles.json in konui's config folder.
func DefaultFleetPath() (string, error) {
	return paths.ConfigFile(fleet.FileName)
}

// OpenFleet opens the stored list at path with SSH Konsoles reached
// through the system's ssh (backend/bridge/sshtunnel).
func OpenFleet(path string, lg *slog.Logger) (*fleet.Fleet, error) {
	return fleet.Open(path, fleet.Options{Tunnel: func(sshURL string) (func(context.Context) (string, string, error), func(), error) {
		return sshtunnel.Open(sshURL, sshtunnel.Options{Logger: lg})
	}})
}

// Start starts the local Konsole (when Config.Local), connects this run's
// remotes and starts a bridge following them and the stored fleet. The
// caller should call Close.
func Start(c Config) (_ *Stack, err error) {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if !c.Local && len(c.Remotes) == 0 {
		return nil, errors.New("no Konsole to follow: run the local one or give --konsole")
	}
	if c.Fleet == nil {
		path, err := DefaultFleetPath()
		if err != nil {
			return nil, err
		}
		if c.Fleet, err = OpenFleet(path, c.Logger); err != nil {
			return nil, err
		}
	}
	st := &Stack{Fleet: c.Fleet}
	var specs []bridge.KonsoleSpec
	defer func() {
		if err == nil {
			return
		}
		// The bridge never took them: their tunnels end here.
		for _, s := range specs {
			if s.Close != nil {
				s.Close()
			}
		}
		if st.Konsole != nil {
			st.Konsole.Close()
		}
	}()
	if c.Local {
		k, err := startLocal(c)
		if err != nil {
			return nil, err
		}
		st.Konsole = k
		name := c.Fleet.LocalName()
		if name == "" {
			name = "Local"
		}
		specs = append(specs, bridge.KonsoleSpec{ID: bridge.LocalID, Name: name, Kind: "local", URL: k.URL(), Token: k.Token()})
	}
	specs = append(specs, c.Fleet.Specs()...)
	for _, t := range c.Remotes {
		s, err := c.Fleet.Connect(context.Background(), t)
		if err != nil {
			return nil, fmt.Errorf("failed to connect to the Konsole %s: %w", describe(t), err)
		}
		specs = append(specs, s)
	}
	cfg := bridge.Config{Konsoles: specs, Fleet: c.Fleet, Token: c.Token, Version: c.Version, Logger: c.Logger}
	if k := st.Konsole; k != nil {
		// The local Konsole runs in this process: the bridge refuses its
		// agents' processes as Konsole does, and can give it a new token.
		cfg.AgentPIDs, cfg.RotateLocal = k.AgentPIDs, k.RotateToken
	}
	if c.UI {
		cfg.UI = frontend.Dist()
	}
	if c.Bridge != nil {
		c.Bridge(&cfg)
	}
	b, err := bridge.New(cfg)
	if err != nil {
		return nil, err
	}
	specs = nil // the bridge closes them now
	b.Start()
	st.Bridge = b
	return st, nil
}

func startLocal(c Config) (*konsole.Server, error) {
	dir := c.DataDir
	if dir == "" {
		d, err := paths.KonsoleDataDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	k, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: auth.NewToken(), DataDir: dir, Claude: c.Claude,
		SavedClaude: c.SavedClaude, Repository: paths.Repository(), Version: c.Version, Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	if err := k.Start(); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// describe names a target for an error, never with its token.
func describe(t fleet.Target) string {
	switch {
	case t.URL != "":
		return t.URL
	case t.SSH != "":
		return t.SSH
	default:
		u := "of a pairing string"
		if p, err := pairing.Parse(t.Pairing); err == nil {
			u = p.URL
		}
		if t.From != "" {
			u += " (from " + t.From + ")"
		}
		return u
	}
}

// Describe says which Konsoles a stack for c follows, for a person
// ("a local Konsole", "Konsole at https://devbox:7421", ...).
func Describe(c Config) string {
	var parts []string
	if c.Local {
		parts = append(parts, "a local Konsole")
	}
	for _, t := range c.Remotes {
		parts = append(parts, "Konsole at "+describe(t))
	}
	return strings.Join(parts, ", ")
}

// Serve serves the bridge (the dashboard, its API and WebSocket) on addr
// in the background until Close: TLS with cert when it is not nil. It
// returns the base URL a browser opens, e.g. "http://127.0.0.1:7420" (a
// wildcard host reads "localhost"). Call it once.
func (s *Stack) Serve(addr string, cert *tls.Certificate, errorLog *log.Logger) (url string, err error) {
	ln, scheme, err := httpguard.Listen(addr, 0, cert)
	if err != nil {
		return "", err
	}
	s.srv = httpguard.NewServer(s.Bridge.Handler(), errorLog)
	s.served = make(chan error, 1)
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.served <- err
		}
		close(s.served)
	}()
	return scheme + "://" + displayAddr(ln.Addr()), nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// Failed is closed when the server of Serve stops; it yields the error
// when it stopped on one rather than by Close. Nil before Serve.
func (s *Stack) Failed() <-chan error { return s.served }

// Close stops the bridge (and with it every remote's tunnel), its server
// (waiting up to 3 s for requests under way) and then the local Konsole;
// idempotent.
func (s *Stack) Close() {
	s.closeOnce.Do(func() {
		s.Bridge.Close()
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			// past the deadline the bridge's streams are cut: Bridge.Close has ended them already.
			_ = s.srv.Shutdown(ctx)
			cancel()
		}
		if s.Konsole != nil {
			s.Konsole.Close()
		}
	})
}
