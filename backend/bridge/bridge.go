package bridge

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/auth"
	"github.com/konui/konui/backend/httpguard"
	"github.com/konui/konui/backend/httpjson"
)

// Config configures a bridge. Zero durations and sizes take the defaults
// noted beside them.
type Config struct {
	// KonsoleURL and KonsoleToken reach Konsole; HTTPClient carries TLS
	// settings for it (a private CA).
	KonsoleURL, KonsoleToken string
	HTTPClient               *http.Client
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
	// Observer, when set, sees every Konsole event once, in order, as it
	// reaches the clients (the desktop app's notifications and tray). It
	// runs on the bridge's delivery path and must not block.
	Observer func(typ string, raw json.RawMessage)
	// Notifier, when set, hears of each new kontask once (see Notifier).
	Notifier Notifier
	// StateDir keeps what the bridge must remember across restarts: the
	// kontasks already notified and when the bridge first started. When
	// empty, that is kept in memory and every start is a first start.
	StateDir string
	Version  string
	Logger   *slog.Logger
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HeartbeatInterval, 30*time.Second)
	def(&c.StaleAfter, 90*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.RequestTimeout, 5*time.Second)
	def(&c.Watchdog, 45*time.Second)
	if c.ReplayFrames <= 0 {
		c.ReplayFrames = 20_000
	}
	if c.ReplayBytes <= 0 {
		c.ReplayBytes = 32 << 20
	}
	if c.ClientQueue <= 0 {
		c.ClientQueue = 4096
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 1 << 20
	}
	if c.Backoff.Min <= 0 {
		c.Backoff = Backoff{Min: time.Second, Max: 30 * time.Second, Jitter: 0.2}
	}
	if c.DownAfter <= 0 {
		c.DownAfter = 5
	}
	if c.MaxEventBytes <= 0 {
		c.MaxEventBytes = 64 << 20
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.KonsoleURL = strings.TrimRight(c.KonsoleURL, "/")
}

// WailsOrigins are the origins of the desktop window's page (Linux and
// macOS, Windows): only the window's own bridge allows them.
var WailsOrigins = []string{"wails://wails", "http://wails.localhost"}

// Bridge follows one Konsole and serves its clients. The caller should call
// Start, then Close.
type Bridge struct {
	cfg Config
	lg  *slog.Logger
	hub *hub
	api *konsoleAPI
	up  *upstream
	// notes is nil without a Notifier.
	notes *notifications
	// wsHosts are the configured origins' hosts, the patterns given to the
	// WebSocket library's own origin check, which runs after guard's.
	wsHosts []string

	cancel    context.CancelFunc
	done      chan struct{}
	notesDone chan struct{}
	closeOnce sync.Once
	handler   http.Handler
}

// New prepares a bridge; it does not connect until Start.
func New(cfg Config) (*Bridge, error) {
	cfg.defaults()
	if _, err := url.Parse(cfg.KonsoleURL); err != nil || cfg.KonsoleURL == "" {
		return nil, &apiError{Code: "bad_konsole_url", Message: "the Konsole URL is not a valid http(s) URL"}
	}
	// A local Konsole's agents run as this user: keep them out of this
	// process's memory, where both tokens are.
	if err := auth.ProtectProcess(); err != nil {
		cfg.Logger.Warn("other processes of this user may be able to read the bridge's memory", "err", err)
	}
	b := &Bridge{cfg: cfg, lg: cfg.Logger, done: make(chan struct{}), notesDone: make(chan struct{})}
	for _, o := range cfg.Origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			b.wsHosts = append(b.wsHosts, u.Host)
		}
	}
	b.hub = newHub(cfg.ReplayFrames, cfg.ReplayBytes, KonsoleState{State: StateConnecting, URL: cfg.KonsoleURL})
	b.api = &konsoleAPI{base: cfg.KonsoleURL, token: cfg.KonsoleToken, client: cfg.HTTPClient}
	if cfg.Notifier != nil {
		var err error
		if b.notes, err = newNotifications(cfg.Notifier, cfg.StateDir, b.api, cfg.Logger); err != nil {
			return nil, err
		}
	}
	b.up = &upstream{url: cfg.KonsoleURL + "/v1/events", token: cfg.KonsoleToken, client: cfg.HTTPClient,
		backoff: cfg.Backoff, watchdog: cfg.Watchdog, downAfter: cfg.DownAfter, maxEvent: cfg.MaxEventBytes, lg: cfg.Logger,
		deliver: b.deliver, setState: b.setState}
	b.handler = b.routes()
	return b, nil
}

// Start follows Konsole's events in the background until Close.
func (b *Bridge) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() {
		defer close(b.done)
		b.up.run(ctx)
	}()
	go func() {
		defer close(b.notesDone)
		if b.notes != nil {
			b.notes.run(ctx)
		}
	}()
}

// Close stops following Konsole and closes every client; idempotent.
func (b *Bridge) Close() {
	b.closeOnce.Do(func() {
		if b.cancel != nil {
			b.cancel()
			<-b.done
			<-b.notesDone
		}
		b.hub.closeAll(CloseShutdown, "the bridge is shutting down")
	})
}

// Handler serves /api/console/ws, /api/health, the REST API under /api/,
// and the dashboard at / when Config.UI is set.
func (b *Bridge) Handler() http.Handler { return b.handler }

// State returns the Konsole connection state.
func (b *Bridge) State() KonsoleState {
	st := b.hub.konsoleState()
	st.LastID = b.up.LastID()
	return st
}

func (b *Bridge) deliver(ev upstreamEvent) {
	b.hub.publishEvent(ev)
	if b.cfg.Observer != nil {
		b.cfg.Observer(ev.Type, ev.Raw)
	}
	if b.notes != nil {
		b.notes.event(ev)
	}
}

func (b *Bridge) setState(st KonsoleState) {
	b.hub.setState(st)
	if st.State == StateConnected && b.notes != nil {
		b.notes.connected()
	}
}

func (b *Bridge) routes() http.Handler {
	mux := http.NewServeMux()
	// The token and the origin (cross-site WebSocket hijacking) are checked
	// before the upgrade, as on every route.
	mux.Handle("GET /api/console/ws", b.guard(http.HandlerFunc(b.serveWS)))
	mux.Handle("GET /api/health", b.guard(http.HandlerFunc(b.health)))
	proxy := b.proxy()
	// "/api/sessions/" carries every per-session route, the changes
	// (/changes, /changes/diff) and worktree ones (/worktree/...) included.
	for _, p := range []string{"/api/sessions", "/api/sessions/", "/api/kontasks", "/api/kontasks/", "/api/models", "/api/fs/dirs", "/api/folders/recent", "/api/agent", "/api/history", "/api/history/", "/api/usage", "/api/search", "/api/settings/auto-deny"} {
		mux.Handle(p, b.guard(proxy))
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
	seq, clients := b.hub.stats()
	frames, bytes := b.hub.replayStats()
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok", "version": b.cfg.Version, "konsole": b.State(),
		"seq": seq, "clients": clients, "replay": map[string]int{"frames": frames, "bytes": bytes}})
}

// proxy forwards /api/sessions..., /api/kontasks... and /api/agent to Konsole's /v1/,
// swapping the dashboard's token for Konsole's.
func (b *Bridge) proxy() http.Handler {
	target, _ := url.Parse(b.cfg.KonsoleURL)
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.URL.Path = "/v1/" + strings.TrimPrefix(pr.In.URL.Path, "/api/")
			pr.Out.URL.RawPath = ""
			q := pr.Out.URL.Query()
			q.Del("token")
			pr.Out.URL.RawQuery = q.Encode()
			pr.Out.Header.Set("Authorization", "Bearer "+b.cfg.KonsoleToken)
			pr.Out.Header.Del("Cookie")
			pr.Out.Header.Del("Origin")
		},
		Transport:     b.cfg.HTTPClient.Transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			httpjson.Error(w, http.StatusBadGateway, "konsole_unreachable", "Konsole is unreachable at "+b.cfg.KonsoleURL)
		},
	}
}
