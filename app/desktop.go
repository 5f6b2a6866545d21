package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/cli/stack"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/auth"
)

// Desktop is the app's logic between the bridge and the OS: the bridge on
// every Konsole (the local one, the stored fleet and this run's
// --konsole), what to notify, what the tray shows. The page reaches it
// through Page (page.go), never directly.
type Desktop struct {
	lg        *slog.Logger
	settings  *SettingsStore
	remotes   []fleet.Target // --konsole for this run only
	fleetPath string
	dataDir   string
	claude    string
	stateDir  string
	version   string

	win      Window
	notifier Notifier
	tray     Tray
	// trayHostFn tells whether a tray host shows the tray icon.
	trayHostFn func() bool

	// connMu serializes connect and Stop, so that a Stop during Start
	// leaves no stack running.
	connMu sync.Mutex

	mu      sync.Mutex
	stack   *stack.Stack
	url     string
	token   string
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
	// goroutine (deliver) to finish what is queued and answer (the tests'
	// flush, in deliver_test.go).
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
	// Remotes are this run's --konsole Konsoles (tested at start, never
	// stored).
	Remotes []fleet.Target
	// FleetPath is the stored list, konsoles.json; "" puts it beside the
	// settings file.
	FleetPath string
	DataDir   string
	Claude    string
	StateDir  string
	// Version is konui's (the bridge and local Konsole report it).
	Version string
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
	if c.FleetPath == "" && c.Settings != nil {
		c.FleetPath = filepath.Join(filepath.Dir(c.Settings.path), fleet.FileName)
	}
	return &Desktop{lg: c.Logger, settings: c.Settings, remotes: c.Remotes, fleetPath: c.FleetPath, dataDir: c.DataDir, claude: c.Claude,
		stateDir: c.StateDir, version: c.Version, trayHostFn: c.TrayHost, notifier: noNotifier{c: make(chan Click)}, titles: map[string]string{},
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
		st := d.stack
		d.stack = nil
		d.mu.Unlock()
		if st != nil {
			st.Close()
		}
		d.workers.Wait()
	})
}

// connect starts the bridge on every Konsole: the local one, the stored
// fleet (the settings' old profiles moved into it first) and this run's
// --konsole. One connect runs at a time; after Stop it fails.
func (d *Desktop) connect() error {
	d.connMu.Lock()
	defer d.connMu.Unlock()
	select {
	case <-d.done:
		return errors.New("Konui is shutting down") //nolint:staticcheck // Konui is the app's name
	default:
	}
	if d.stack != nil {
		return nil
	}
	fl, err := stack.OpenFleet(d.fleetPath, d.lg)
	if err != nil {
		return err
	}
	d.importProfiles(fl)
	token := auth.NewToken()
	cfg := stack.Config{Local: true, Remotes: d.remotes, Fleet: fl, DataDir: d.dataDir, Claude: d.claude,
		SavedClaude: d.settings.Get().ClaudePath, Token: token, Version: d.version, Logger: d.lg, Bridge: func(c *bridge.Config) {
			c.Observer = d.observe
			c.Connected = func(string) { d.workers.Go(d.loadUnread) }
			c.Notifier = d
			c.Fleet = trackedFleet{Fleet: c.Fleet, d: d}
			c.Origins = bridge.WailsOrigins
			if d.stateDir != "" {
				// What was notified is remembered across restarts. The bridge
				// keys the local Konsole's kontasks as the one-Konsole bridge
				// did, so the record of bridge-local carries on.
				c.StateDir = filepath.Join(d.stateDir, "bridge-"+bridge.LocalID)
			}
		}}
	st, err := stack.Start(cfg)
	if err != nil {
		return fmt.Errorf("failed to start Konui: %w", err)
	}
	url, err := st.Serve("127.0.0.1:0", nil, nil)
	if err != nil {
		st.Close()
		return err
	}
	d.mu.Lock()
	d.stack, d.url, d.token = st, url, token
	d.mu.Unlock()
	d.lg.Info("bridge ready", "konsoles", len(st.Bridge.Konsoles()), "fleet", fl.Path())
	d.workers.Go(d.loadUnread)
	return nil
}

// ConnectionInfo is what the page needs to reach the bridge.
type ConnectionInfo struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	// Starting says the bridge is not serving yet (URL and Token are empty):
	// the page asks again.
	Starting bool `json:"starting,omitempty"`
}

// Connection hands the page the bridge's URL and token (bound method), or
// Starting while the bridge is still starting; it fails with the reason
// when Konui could not start.
func (d *Desktop) Connection() (ConnectionInfo, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.url == "" {
		if d.startErr != nil {
			return ConnectionInfo{}, d.startErr
		}
		return ConnectionInfo{Starting: true}, nil
	}
	return ConnectionInfo{URL: d.url, Token: d.token}, nil
}

// observe sees every event of every Konsole (bridge.Config.Observer): it
// must not block. Ids of sessions, kontasks and requests are unique across
// Konsoles (UUIDs), so the maps below hold them all, each entry with its
// Konsole; an answer goes back through the bridge, which routes it to the
// Konsole that has the session or kontask.
func (d *Desktop) observe(konsoleID, typ string, raw json.RawMessage) {
	var ev contract.Event
	if json.Unmarshal(raw, &ev) != nil {
		return
	}
	switch typ {
	case contract.EvSessionCreated, contract.EvSessionUpdated:
		var d2 contract.SessionUpdated // session.created carries the same
		if json.Unmarshal(ev.Data, &d2) == nil && d2.Session.ID != "" {
			d.mu.Lock()
			d.titles[d2.Session.ID] = d2.Session.Title
			d.mu.Unlock()
		}
	case contract.EvKontaskCreated, contract.EvKontaskUpdated:
		var k contract.KontaskEvent
		if json.Unmarshal(ev.Data, &k) == nil && k.Kontask.ID != "" {
			d.trackUnread(konsoleID, k.Kontask.ID, k.Kontask.Title, k.Kontask.ReadAt == nil)
			if k.Kontask.Status != "" && k.Kontask.Status != "pending" {
				// Chosen or dismissed somewhere: its notice is stale.
				d.withdraw("kontask:" + k.Kontask.ID)
			}
		}
	case contract.EvTurnStarted:
		d.seen(ev.SessionID)
	case contract.EvTurnCompleted:
		var t contract.TurnCompleted
		// an unknown or missing reason reads as a finished turn.
		_ = json.Unmarshal(ev.Data, &t)
		d.turnFinished(konsoleID, ev.SessionID)
		if d.wantNotify(func(s Settings) bool { return s.NotifyTurns }, true) {
			d.queue(Notification{Title: clip("Turn "+map[string]string{"completed": "finished", "interrupted": "interrupted", "error": "failed"}[t.Reason]+
				" in "+d.title(ev.SessionID), noteTitleChars), Body: "Claude is waiting for your next prompt.", Target: "session:" + ev.SessionID,
				Konsole: konsoleID,
				// Its own group: a finished turn must not replace the buttons of a
				// kontask or request of the same session.
				Group: "turn:" + ev.SessionID})
		}
	case contract.EvPermissionRequest:
		d.permissionRequested(konsoleID, ev.SessionID, ev.Data)
	case contract.EvPermissionResolved:
		d.permissionResolved(ev.Data)
	}
}

var _ bridge.Notifier = (*Desktop)(nil)

// KontaskCreated notifies a new kontask; the bridge calls it once per
// kontask, never again on replay or restart (bridge.Notifier).
func (d *Desktop) KontaskCreated(k bridge.Kontask) {
	d.trackUnread(k.KonsoleID, k.ID, k.Title, true)
	if d.wantNotify(func(s Settings) bool { return s.NotifyKontasks }, false) {
		body := k.Description
		if body == "" {
			body = "Claude delivered a kontask."
		}
		d.queue(Notification{Title: clip(k.Title, noteTitleChars), Body: clip(body, noteBodyChars), Target: "kontask:" + k.ID, Key: "kontask:" + k.ID,
			Group: groupOf(k.SessionID), Actions: choiceActions(k.Raw), Konsole: k.KonsoleID})
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
		w.Emit(EventOpenKontask, id)
	} else if id, ok := strings.CutPrefix(target, "session:"); ok {
		w.Emit(EventOpenSession, id)
	}
}
