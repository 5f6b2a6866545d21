package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/konui/konui/backend/auth"
	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/cli"
	"github.com/konui/konui/backend/httpguard"
)

// Desktop is the app's logic between the bridge and the OS: which Konsole
// to follow, what to notify, what the tray shows. Its exported methods are
// bound to the page (window.go.app.Desktop.*).
type Desktop struct {
	lg       *slog.Logger
	settings *SettingsStore
	override *Profile // --konsole for this run only
	dataDir  string
	claude   string
	stateDir string

	win      Window
	notifier Notifier
	tray     Tray
	// trayHostFn tells whether a tray host shows the tray icon.
	trayHostFn func() bool

	// connMu serializes connect and Stop: Wails runs each bound call on its
	// own goroutine, and two switches at once would each start a stack.
	connMu sync.Mutex

	mu      sync.Mutex
	stack   *cli.Stack
	srv     *http.Server
	url     string
	token   string
	profile string
	focused bool
	paused  bool
	unread  []trayEntry
	// finished are the sessions whose turn ended while the window was in
	// the background, until seen (trayEntry.at is when).
	finished map[string]trayEntry
	// unreadMore counts unread kontasks beyond those listed in unread.
	unreadMore int
	titles     map[string]string
	// perms are the permission requests waiting, by request id; pressing
	// holds the keys of notification buttons being answered.
	perms    map[string]waitingPerm
	pressing map[string]bool
	notes    chan noteOp
	// trayWake says the tray has a change to paint; flushes asks the OS
	// goroutine (deliver) to finish what is queued and answer.
	trayWake chan struct{}
	flushes  chan chan struct{}
	startErr error
	stopOnce sync.Once
	done     chan struct{}
	// workers are the goroutines Start runs; Stop waits for them.
	workers sync.WaitGroup
}

func (d *Desktop) setStartError(err error) {
	d.mu.Lock()
	d.startErr = err
	d.mu.Unlock()
}

// DesktopConfig says how to build a Desktop.
type DesktopConfig struct {
	Settings *SettingsStore
	Override *Profile
	DataDir  string
	Claude   string
	StateDir string
	// TrayHost tells whether a tray host shows the icon (TrayHostPresent);
	// nil means there is none.
	TrayHost func() bool
	Logger   *slog.Logger
}

// NewDesktop prepares the app's logic; Start connects it.
func NewDesktop(c DesktopConfig) *Desktop {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Desktop{lg: c.Logger, settings: c.Settings, override: c.Override, dataDir: c.DataDir, claude: c.Claude,
		stateDir: c.StateDir, trayHostFn: c.TrayHost, notifier: noNotifier{c: make(chan Click)}, titles: map[string]string{},
		perms: map[string]waitingPerm{}, pressing: map[string]bool{}, finished: map[string]trayEntry{},
		notes: make(chan noteOp, 256), trayWake: make(chan struct{}, 1), flushes: make(chan chan struct{}),
		done: make(chan struct{})}
}

func (d *Desktop) trayHost() bool {
	return d.trayHostFn != nil && d.trayHostFn()
}

// HidesOnClose tells whether closing the window hides it to the tray: only
// when the settings ask for it and a tray host is there to bring it back.
func (d *Desktop) HidesOnClose() bool {
	return d.settings.Get().HideToTray && d.trayHost()
}

// Attach gives the Desktop its OS parts (any may be nil until known).
func (d *Desktop) Attach(w Window, n Notifier, t Tray) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if w != nil {
		d.win = w
	}
	if n != nil {
		d.notifier = n
	}
	if t != nil {
		d.tray = t
	}
}

// Start connects to the active Konsole and begins delivering notifications.
func (d *Desktop) Start() error {
	d.run()
	return d.connect()
}

// run starts the goroutines that reach the OS; Stop ends them.
func (d *Desktop) run() {
	d.workers.Go(d.deliver)
	d.workers.Go(d.follow)
}

// Stop ends the bridge (and the local Konsole); idempotent. It waits for a
// connect under way, and no connect starts anything after it.
func (d *Desktop) Stop() {
	d.stopOnce.Do(func() {
		close(d.done)
		d.connMu.Lock()
		defer d.connMu.Unlock()
		d.mu.Lock()
		stack, srv := d.stack, d.srv
		d.stack, d.srv = nil, nil
		d.mu.Unlock()
		shutdown(stack, srv)
		d.workers.Wait()
	})
}

func shutdown(stack *cli.Stack, srv *http.Server) {
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		srv.Shutdown(ctx)
		cancel()
	}
	if stack != nil {
		stack.Close()
	}
}

// activeProfile is the Konsole to follow: the override, else the setting.
func (d *Desktop) activeProfile() (Profile, error) {
	if d.override != nil {
		return *d.override, nil
	}
	s := d.settings.Get()
	if s.Active == LocalProfile || s.Active == "" {
		return Profile{ID: LocalProfile, Name: "Local"}, nil
	}
	p, ok := s.Profile(s.Active)
	if !ok {
		return Profile{ID: LocalProfile, Name: "Local"}, nil
	}
	return p, nil
}

// connect (re)starts the bridge on the active profile. The old bridge and
// local Konsole are closed first (a local Konsole locks its data folder).
// One connect runs at a time; after Stop it fails.
func (d *Desktop) connect() error {
	d.connMu.Lock()
	defer d.connMu.Unlock()
	select {
	case <-d.done:
		return errors.New("Konui is shutting down")
	default:
	}
	p, err := d.activeProfile()
	if err != nil {
		return err
	}
	d.mu.Lock()
	oldStack, oldSrv := d.stack, d.srv
	d.stack, d.srv = nil, nil
	d.mu.Unlock()
	shutdown(oldStack, oldSrv)

	token := auth.NewToken()
	cfg := cli.StackConfig{DataDir: d.dataDir, Claude: d.claude, SavedClaude: d.settings.Get().ClaudePath, Token: token, Logger: d.lg, Bridge: func(c *bridge.Config) {
		c.Observer = d.observe
		c.Notifier = d
		c.Origins = bridge.WailsOrigins
		if d.stateDir != "" {
			// What was notified is remembered per Konsole.
			c.StateDir = filepath.Join(d.stateDir, "bridge-"+p.ID)
		}
	}}
	if p.ID != LocalProfile {
		cfg.KonsoleURL, cfg.KonsoleToken = p.URL, p.Token
	}
	stack, err := cli.StartStack(cfg)
	if err != nil {
		return fmt.Errorf("failed to start Konui on %s: %w", p.Name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stack.Close()
		return fmt.Errorf("failed to listen on loopback: %w", err)
	}
	srv := httpguard.NewServer(stack.Bridge.Handler(), nil)
	go srv.Serve(httpguard.Limit(ln, 0))
	d.mu.Lock()
	d.stack, d.srv, d.url, d.token, d.profile = stack, srv, "http://"+ln.Addr().String(), token, p.ID
	d.mu.Unlock()
	d.lg.Info("bridge ready", "profile", p.Name, "konsole", stack.Bridge.State().URL)
	d.workers.Go(d.loadUnread)
	return nil
}

// ConnectionInfo is what the page needs to reach the bridge.
type ConnectionInfo struct {
	URL     string `json:"url"`
	Token   string `json:"token"`
	Profile string `json:"profile"`
}

// Connection hands the page the bridge's URL and token (bound method); it
// fails with the reason when Konui could not start.
func (d *Desktop) Connection() (ConnectionInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.url == "" {
		if d.startErr != nil {
			return ConnectionInfo{}, d.startErr
		}
		return ConnectionInfo{}, errors.New("Konui is still starting")
	}
	return ConnectionInfo{URL: d.url, Token: d.token, Profile: d.profile}, nil
}

// observe sees every Konsole event (bridge.Config.Observer): it must not block.
func (d *Desktop) observe(typ string, raw json.RawMessage) {
	var ev struct {
		SessionID string          `json:"sessionId"`
		Data      json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &ev) != nil {
		return
	}
	switch typ {
	case "session.created", "session.updated":
		var d2 struct {
			Session struct{ ID, Title string } `json:"session"`
		}
		if json.Unmarshal(ev.Data, &d2) == nil && d2.Session.ID != "" {
			d.mu.Lock()
			d.titles[d2.Session.ID] = d2.Session.Title
			d.mu.Unlock()
		}
	case "kontask.created", "kontask.updated":
		var k struct {
			Kontask struct {
				ID, Title, Description, Status string
				ReadAt                         *string `json:"readAt"`
			} `json:"kontask"`
		}
		if json.Unmarshal(ev.Data, &k) == nil && k.Kontask.ID != "" {
			d.trackUnread(k.Kontask.ID, k.Kontask.Title, k.Kontask.ReadAt == nil)
			if k.Kontask.Status != "" && k.Kontask.Status != "pending" {
				// Chosen or dismissed somewhere: its notice is stale.
				d.withdraw("kontask:" + k.Kontask.ID)
			}
		}
	case "turn.started":
		d.seen(ev.SessionID)
	case "turn.completed":
		var t struct{ Reason string }
		json.Unmarshal(ev.Data, &t)
		d.turnFinished(ev.SessionID)
		if d.wantNotify(func(s Settings) bool { return s.NotifyTurns }, true) {
			d.queue(Notification{Title: clip("Turn "+map[string]string{"completed": "finished", "interrupted": "interrupted", "error": "failed"}[t.Reason]+
				" in "+d.title(ev.SessionID), noteTitleChars), Body: "Claude is waiting for your next prompt.", Target: "session:" + ev.SessionID,
				// Its own group: a finished turn must not replace the buttons of a
				// kontask or request of the same session.
				Group: "turn:" + ev.SessionID})
		}
	case "permission.request":
		d.permissionRequested(ev.SessionID, ev.Data)
	case "permission.resolved":
		d.permissionResolved(ev.Data)
	}
}

var _ bridge.Notifier = (*Desktop)(nil)

// KontaskCreated notifies a new kontask; the bridge calls it once per
// kontask, never again on replay or restart (bridge.Notifier).
func (d *Desktop) KontaskCreated(k bridge.Kontask) {
	d.trackUnread(k.ID, k.Title, true)
	if d.wantNotify(func(s Settings) bool { return s.NotifyKontasks }, false) {
		body := k.Description
		if body == "" {
			body = "Claude delivered a kontask."
		}
		d.queue(Notification{Title: clip(k.Title, noteTitleChars), Body: clip(body, noteBodyChars), Target: "kontask:" + k.ID, Key: "kontask:" + k.ID,
			Group: groupOf(k.SessionID), Actions: choiceActions(k.Raw)})
	}
}

func (d *Desktop) title(sessionID string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.titleLocked(sessionID)
}

func (d *Desktop) titleLocked(sessionID string) string {
	if t := d.titles[sessionID]; t != "" {
		return t
	}
	return "a session"
}

// wantNotify applies the settings, the pause and (for turn and permission
// notices) whether the window has the focus.
func (d *Desktop) wantNotify(kind func(Settings) bool, onlyUnfocused bool) bool {
	d.mu.Lock()
	paused, focused := d.paused, d.focused
	d.mu.Unlock()
	if paused || (onlyUnfocused && focused) {
		return false
	}
	return kind(d.settings.Get())
}

// follow opens what a clicked notification points at.
func (d *Desktop) follow() {
	d.mu.Lock()
	clicks := d.notifier.Clicked()
	d.mu.Unlock()
	for {
		select {
		case <-d.done:
			return
		case c := <-clicks:
			d.clicked(c)
		}
	}
}

func (d *Desktop) open(target string) {
	d.mu.Lock()
	w := d.win
	d.mu.Unlock()
	if w == nil {
		return
	}
	w.Show()
	if id, ok := strings.CutPrefix(target, "kontask:"); ok {
		w.Emit("konui:open-kontask", id)
	} else if id, ok := strings.CutPrefix(target, "session:"); ok {
		w.Emit("konui:open-session", id)
	}
}
