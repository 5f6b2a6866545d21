package bridge

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/bridge/hub"
	"github.com/konui/konui/backend/bridge/notify"
	"github.com/konui/konui/backend/bridge/upstream"
	"github.com/konui/konui/backend/shared/agentpeer"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/clock"
	"github.com/konui/konui/backend/shared/defaults"
	"github.com/konui/konui/backend/shared/httpguard"
	"github.com/konui/konui/backend/shared/httpjson"
)

// Config configures a bridge. Zero durations and sizes take the defaults
// noted beside them.
type Config struct {
	// Konsoles are the Konsoles to follow. When empty, the bridge follows
	// one, {ID: "local", Name: "Local"}, at KonsoleURL with KonsoleToken
	// and HTTPClient (TLS settings for it: a private CA).
	Konsoles                 []KonsoleSpec
	KonsoleURL, KonsoleToken string
	HTTPClient               *http.Client
	// Fleet, when set, adds, changes and removes Konsoles for
	// POST/PATCH/DELETE /api/konsoles; without it they answer 405
	// fleet_read_only.
	Fleet Fleet
	// Token is required of the dashboard on every /api route.
	Token string
	// UI, when set, is served at / (the built dashboard).
	UI fs.FS
	// Origins are the extra origins allowed besides the same origin, each a
	// whole origin matched on scheme and host (default: none; the desktop
	// window's own bridge sets WailsOrigins, plain "konui serve" does not).
	Origins []string
	// Hosts are the Host names the bridge answers to besides the loopback
	// ones (httpguard.AllowedHosts of the listen address); any other gets
	// 421, which keeps DNS-rebound pages out.
	Hosts []string

	HeartbeatInterval time.Duration // app heartbeat and ping, 30 s
	StaleAfter        time.Duration // drop a silent client, 90 s
	ReplayFrames      int           // frames kept for since, 20,000
	ReplayBytes       int           // and their bytes at most, 32 MiB
	ClientQueue       int           // extra queue beyond the replay size, 4,096
	ReadLimit         int64         // largest client frame, 1 MiB
	WriteTimeout      time.Duration // one frame write, 10 s
	RequestTimeout    time.Duration // a forwarded request, 5 s
	Watchdog          time.Duration // reconnect when Konsole is silent, 45 s
	Backoff           Backoff       // 1 s doubling to 30 s, 20% jitter
	DownAfter         int           // attempts before "down", 5
	MaxEventBytes     int           // largest Konsole event, 64 MiB
	HealthInterval    time.Duration // GET /healthz of each connected Konsole, 10 s
	MergeTimeout      time.Duration // a Konsole's share of a merged list, 2 s
	// Clock times the clients' heartbeats and stale checks (nil: the real
	// clock; tests move a fake one).
	Clock clock.Clock
	// Observer, when set, sees every Konsole event once, in order per
	// Konsole, as it reaches the clients (the desktop app's notifications
	// and tray), with the id of the Konsole it came from. Calls come one at
	// a time, on the bridge's delivery path: it must not block.
	Observer func(konsoleID, typ string, raw json.RawMessage)
	// Connected, when set, hears each time a Konsole's stream connects (at
	// start, after a reconnect, when one is added or enabled), so that
	// state kept beside the events (the desktop's tray) is fetched then.
	// It runs on that Konsole's connection goroutine and must not block.
	Connected func(konsoleID string)
	// Notifier, when set, hears of each new kontask once (see Notifier).
	Notifier Notifier
	// AgentPIDs, when set, gives the pids of the agents of the Konsole in
	// this process (the embedded local one): a request whose peer process
	// is one of them or under one is refused with 403 agent_caller.
	AgentPIDs func() []int
	// RotateLocal, when set, gives the local Konsole a new token and
	// returns it (POST /api/konsoles/local/token); the bridge uses it from
	// then on.
	RotateLocal func() (string, error)
	// StateDir keeps what the bridge must remember across restarts: the
	// kontasks already notified and when the bridge first started. When
	// empty, that is kept in memory and every start is a first start.
	StateDir string
	Version  string
	Logger   *slog.Logger
}

func (c *Config) defaults() {
	// The WebSocket's sizes and times (heartbeat, stale, write, replay,
	// queue, read limit) are the hub's: hub.Options has their defaults.
	defaults.Set(&c.RequestTimeout, 5*time.Second)
	defaults.Set(&c.Watchdog, 45*time.Second)
	defaults.Set(&c.HealthInterval, 10*time.Second)
	defaults.Set(&c.MergeTimeout, 2*time.Second)
	if c.Backoff.Min <= 0 {
		c.Backoff = upstream.DefaultBackoff
	}
	defaults.Set(&c.DownAfter, 5)
	defaults.Set(&c.MaxEventBytes, 64<<20)
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.KonsoleURL = strings.TrimRight(c.KonsoleURL, "/")
	if len(c.Konsoles) == 0 {
		c.Konsoles = []KonsoleSpec{{ID: LocalID, Name: "Local", Kind: "local", URL: c.KonsoleURL, Token: c.KonsoleToken, HTTPClient: c.HTTPClient}}
	}
}

func validKonsoleURL(s string) bool {
	_, err := url.Parse(s)
	return err == nil && s != ""
}

// WailsOrigins are the origins of the desktop window's page (Linux and
// macOS, Windows): only the window's own bridge allows them.
var WailsOrigins = []string{"wails://wails", "http://wails.localhost"}

// Bridge follows Konsoles and serves their clients. The caller should
// call Start, then Close.
type Bridge struct {
	cfg Config
	lg  *slog.Logger
	hub *hub.Hub
	// mu guards the Konsoles' list only; it is never held across a call
	// to a Konsole.
	mu     sync.RWMutex
	ks     map[string]*konsole
	order  []string
	ctx    context.Context // set by Start
	closed bool
	index  locator
	obsMu  sync.Mutex
	// notes is nil without a Notifier.
	notes *notify.Notifications

	cancel    context.CancelFunc
	notesDone chan struct{}
	closeOnce sync.Once
	handler   http.Handler
}

// New prepares a bridge; it does not connect until Start.
func New(cfg Config) (*Bridge, error) {
	cfg.defaults()
	specs := make([]KonsoleSpec, 0, len(cfg.Konsoles))
	seen := map[string]bool{}
	for _, s := range cfg.Konsoles {
		s, err := validSpec(s)
		if err != nil {
			return nil, err
		}
		if seen[s.ID] {
			return nil, &APIError{Status: http.StatusConflict, Code: "conflict", Message: "two Konsoles have the id " + s.ID}
		}
		seen[s.ID] = true
		specs = append(specs, s)
	}
	// A local Konsole's agents run as this user: keep them out of this
	// process's memory, where both tokens are.
	if err := auth.ProtectProcess(); err != nil {
		cfg.Logger.Warn("other processes of this user may be able to read the bridge's memory", "err", err)
	}
	b := &Bridge{cfg: cfg, lg: cfg.Logger, notesDone: make(chan struct{}), ks: map[string]*konsole{}}
	// The configured origins' hosts are the patterns given to the
	// WebSocket library's own origin check, which runs after guard's.
	var wsHosts []string
	for _, o := range cfg.Origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			wsHosts = append(wsHosts, u.Host)
		}
	}
	b.hub = hub.New(hub.Options{ReplayFrames: cfg.ReplayFrames, ReplayBytes: cfg.ReplayBytes, ClientQueue: cfg.ClientQueue,
		ReadLimit: cfg.ReadLimit, WriteTimeout: cfg.WriteTimeout, HeartbeatInterval: cfg.HeartbeatInterval, StaleAfter: cfg.StaleAfter,
		OriginHosts: wsHosts, Primary: LocalID, Request: b.handleRequest, NotText: ackJSON("", nil, badRequest("frames must be JSON text")),
		Clock: cfg.Clock, Logger: cfg.Logger})
	if cfg.Notifier != nil {
		var err error
		if b.notes, err = notify.New(notify.Options{Notifier: cfg.Notifier, StateDir: cfg.StateDir, API: b.apiOf, LocalID: LocalID, Logger: cfg.Logger}); err != nil {
			return nil, err
		}
	}
	for _, s := range specs {
		k := newKonsole(b, s)
		b.ks[s.ID] = k
		b.order = append(b.order, s.ID)
		b.hub.AddKonsole(k.info())
	}
	// Agents on this machine reach the bridge's loopback port as easily as
	// Konsole's: their processes are refused here too.
	b.handler = (&agentpeer.Guard{Agents: b.cfg.AgentPIDs}).Wrap(b.routes())
	return b, nil
}

// apiOf is the REST client of Konsole id for the notifications' catch-up,
// or nil when it is gone.
func (b *Bridge) apiOf(id string) notify.Getter {
	if k := b.konsole(id); k != nil {
		return getter{k.api}
	}
	return nil
}

// getter reads a Konsole's route through its REST client.
type getter struct{ api *konsoleAPI }

func (g getter) Get(ctx context.Context, path string) (json.RawMessage, error) {
	return g.api.do(ctx, "GET", path, nil)
}

// Start follows the Konsoles' events in the background until Close.
func (b *Bridge) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	b.mu.Lock()
	if b.ctx != nil || b.closed {
		b.mu.Unlock()
		cancel()
		return
	}
	b.ctx, b.cancel = ctx, cancel
	b.mu.Unlock()
	for _, k := range b.all() {
		if b.hub.KonsoleInfo(k.spec.ID).Enabled {
			k.start(ctx)
		}
	}
	go func() {
		defer close(b.notesDone)
		if b.notes != nil {
			b.notes.Run(ctx)
		}
	}()
}

// Close stops following the Konsoles, runs their specs' Close and closes
// every client; idempotent.
func (b *Bridge) Close() {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		cancel := b.cancel
		b.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		for _, k := range b.all() {
			k.stop()
			k.closeSpec()
		}
		if cancel != nil {
			<-b.notesDone
		}
		b.hub.CloseAll(CloseShutdown, "the bridge is shutting down")
	})
}

// Handler serves /api/console/ws, /api/health, the REST API under /api/,
// and the dashboard at / when Config.UI is set.
func (b *Bridge) Handler() http.Handler { return b.handler }

// State returns the connection state of the local Konsole, else of the
// first one (see Konsoles for all of them).
func (b *Bridge) State() KonsoleState {
	k := b.primary()
	if k == nil {
		return KonsoleState{State: StateDown, Error: "no Konsole is configured"}
	}
	st := b.hub.KonsoleInfo(k.spec.ID).ConnState()
	st.LastID = k.up.LastID()
	return st
}

func (b *Bridge) deliver(k *konsole, ev upstream.Event) {
	id := k.spec.ID
	b.hub.PublishEvent(id, ev)
	if ev.SessionID != "" {
		b.index.claim(kindSession, ev.SessionID, id)
	}
	if strings.HasPrefix(ev.Type, "kontask.") {
		if kid := kontaskIDOf(ev.Raw); kid != "" {
			b.index.claim(kindKontask, kid, id)
		}
	}
	if b.cfg.Observer != nil {
		// One call at a time, as with one Konsole: each Konsole delivers
		// from its own goroutine.
		b.obsMu.Lock()
		b.cfg.Observer(id, ev.Type, ev.Raw)
		b.obsMu.Unlock()
	}
	if b.notes != nil {
		b.notes.Event(id, ev)
	}
}

func (b *Bridge) setState(k *konsole, st KonsoleState) {
	b.hub.SetState(k.spec.ID, st)
	if st.State != StateConnected {
		return
	}
	if b.notes != nil {
		b.notes.Connected(k.spec.ID)
	}
	if b.cfg.Connected != nil {
		b.cfg.Connected(k.spec.ID)
	}
}

func (b *Bridge) routes() http.Handler {
	mux := http.NewServeMux()
	// The token and the origin (cross-site WebSocket hijacking) are checked
	// before the upgrade, as on every route.
	mux.Handle("GET /api/console/ws", b.guard(http.HandlerFunc(b.hub.ServeWS)))
	mux.Handle("GET /api/health", b.guard(http.HandlerFunc(b.health)))
	b.fleetRoutes(mux)
	b.tokenRoutes(mux)
	b.mergedRoutes(mux)
	// "/api/sessions/" carries every per-session route, the changes
	// (/changes, /changes/diff) and worktree ones (/worktree/...) included:
	// each goes to the Konsole that has the session.
	mux.Handle("/api/sessions/", b.guard(b.routed(kindSession, "/api/sessions/")))
	mux.Handle("/api/kontasks/", b.guard(b.routed(kindKontask, "/api/kontasks/")))
	// The others go to ?konsoleId= (default: the local one, else the first).
	for _, p := range []string{"/api/sessions", "/api/kontasks", "/api/models", "/api/fs/dirs", "/api/folders/recent", "/api/agent", "/api/history", "/api/history/", "/api/usage", "/api/search", "/api/settings/auto-deny"} {
		mux.Handle(p, b.guard(b.byQuery()))
	}
	// Unknown /api/ paths need the token too: a stranger learns nothing,
	// not even which routes exist.
	mux.Handle("/api/", b.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
	})))
	if b.cfg.UI != nil {
		mux.Handle("/", uiHandler(b.cfg.UI))
	}
	return httpguard.Hosts(b.cfg.Hosts, httpguard.BodyDeadline(b.cors(mux), 0, httpguard.IsStream))
}

// guard checks the token and refuses cross-site requests from browsers.
func (b *Bridge) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.Equal(auth.FromRequest(r), b.cfg.Token) {
			httpjson.Error(w, http.StatusUnauthorized, "unauthorized", "a valid token is required (Authorization: Bearer TOKEN or ?token=TOKEN)")
			return
		}
		if !b.originAllowed(r) {
			httpjson.Error(w, http.StatusForbidden, "forbidden_origin", "requests from this origin are not allowed")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed accepts requests without Origin (non-browser clients), from
// the same origin, and from the configured origins (the Wails webview).
func (b *Bridge) originAllowed(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if (u.Scheme == "http" || u.Scheme == "https") && u.Path == "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return b.configuredOrigin(o)
}

// configuredOrigin reports whether origin is one of the configured origins,
// compared whole (scheme, host and port), ignoring case.
func (b *Bridge) configuredOrigin(origin string) bool {
	for _, o := range b.cfg.Origins {
		if strings.EqualFold(origin, o) {
			return true
		}
	}
	return false
}

func (b *Bridge) health(w http.ResponseWriter, r *http.Request) {
	seq, clients := b.hub.Stats()
	frames, bytes := b.hub.ReplayStats()
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok", "version": b.cfg.Version, "konsole": b.State(), "konsoles": b.listed(),
		"seq": seq, "clients": clients, "replay": map[string]int{"frames": frames, "bytes": bytes}})
}
