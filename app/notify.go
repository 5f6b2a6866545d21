package app

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
)

// Action is a button of a notification: Key comes back in a Click.
type Action struct {
	Key, Label string
}

// Notification is what the app asks the OS to show. Target says what its
// default action opens ("kontask:ID" or "session:ID"). Key names what it
// is about ("kontask:ID", "permission:ID"), so that Withdraw can take it
// back once that is answered elsewhere; notifications of one Group (a
// session) replace each other instead of stacking. Actions are buttons,
// shown only where the server offers actions.
type Notification struct {
	Title, Body, Target string
	Key, Group          string
	Actions             []Action
	// Konsole is the id of the Konsole it is about: one other than the
	// local one is named in the body.
	Konsole string
}

// Click is a notification the user activated: Action is "default" for the
// notification itself, else the Key of the button pressed.
type Click struct {
	Target, Key, Action string
}

// Notifier shows native notifications and reports the ones clicked.
type Notifier interface {
	Notify(n Notification) error
	// Withdraw closes the notification shown under key, if it is still up.
	Withdraw(key string) error
	// Clicked delivers each notification or button the user activated.
	Clicked() <-chan Click
	Close() error
}

// maxGone bounds the notifications remembered after they closed.
const maxGone = 64

// shownNote is what the DBusNotifier remembers of a notification on screen.
type shownNote struct {
	target, key, group string
}

// DBusNotifier speaks org.freedesktop.Notifications on the session bus.
type DBusNotifier struct {
	conn    *dbus.Conn
	icon    string
	lg      *slog.Logger
	clicked chan Click
	signals chan *dbus.Signal

	mu      sync.Mutex
	capsOK  bool
	actions bool
	// markup: the server renders body markup (it announced "body-markup"),
	// so agent-written text is escaped before it goes into a body.
	markup bool
	shown  map[uint32]shownNote
	// gone keeps the newest notifications no longer on screen, so that a
	// press racing their withdrawal is still heard (and told it is late).
	gone    map[uint32]shownNote
	goneIDs []uint32
	byKey   map[string]uint32
	byGroup map[string]uint32
	// notifying counts Notify calls between asking the server and noting
	// the id it answered. A press can be heard in that gap (godbus hands
	// a signal and a reply to different goroutines, and a server may even
	// send the signal first): its id is then not yet noted, or is the one
	// being replaced. Such presses wait in early until no call is in
	// flight, and are resolved against what is noted then.
	notifying int
	early     []earlyPress
}

// earlyPress is a button pressed while a Notify call was in flight.
type earlyPress struct {
	id     uint32
	action string
}

// maxEarly bounds the presses held while notifications are being shown.
const maxEarly = 16

var _ Notifier = (*DBusNotifier)(nil)

// NewDBusNotifier connects to the session bus. It does not autolaunch a bus
// (that would outlive the app): without DBUS_SESSION_BUS_ADDRESS it fails.
func NewDBusNotifier(icon string, lg *slog.Logger) (*DBusNotifier, error) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return nil, errors.New("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("failed to connect to the session bus: %w", err)
	}
	n := &DBusNotifier{conn: conn, icon: icon, lg: lg, clicked: make(chan Click, 16), signals: make(chan *dbus.Signal, 32),
		shown: map[uint32]shownNote{}, gone: map[uint32]shownNote{}, byKey: map[string]uint32{}, byGroup: map[string]uint32{}}
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.Notifications"), dbus.WithMatchMember(member)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("failed to listen for notification signals (%s): %w", member, err)
		}
	}
	conn.Signal(n.signals)
	go n.listen()
	return n, nil
}

func (n *DBusNotifier) obj() dbus.BusObject {
	return n.conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
}

// forgetLocked drops notification id; the caller holds mu.
func (n *DBusNotifier) forgetLocked(id uint32) {
	s, ok := n.shown[id]
	if !ok {
		return
	}
	delete(n.shown, id)
	if _, ok := n.gone[id]; !ok {
		n.goneIDs = append(n.goneIDs, id)
	}
	n.gone[id] = s
	if len(n.goneIDs) > maxGone {
		delete(n.gone, n.goneIDs[0])
		n.goneIDs = n.goneIDs[1:]
	}
	if n.byKey[s.key] == id {
		delete(n.byKey, s.key)
	}
	if n.byGroup[s.group] == id {
		delete(n.byGroup, s.group)
	}
}

// listen reports clicks and forgets each notification once the server
// says it is closed (expired, dismissed or clicked), so what is kept stays
// as small as what is on screen.
func (n *DBusNotifier) listen() {
	for sig := range n.signals {
		if len(sig.Body) < 2 {
			continue
		}
		id, _ := sig.Body[0].(uint32)
		switch sig.Name {
		case "org.freedesktop.Notifications.ActionInvoked":
			action, _ := sig.Body[1].(string)
			n.mu.Lock()
			if n.notifying > 0 {
				if len(n.early) < maxEarly {
					n.early = append(n.early, earlyPress{id: id, action: action})
				} else {
					n.lg.Warn("dropping a notification click: too many at once")
				}
				n.mu.Unlock()
				continue
			}
			click, ok := n.clickLocked(id, action)
			n.mu.Unlock()
			if ok {
				n.report(click)
			}
		case "org.freedesktop.Notifications.NotificationClosed":
			n.mu.Lock()
			n.forgetLocked(id)
			n.mu.Unlock()
		}
	}
}

// clickLocked resolves a press of notification id against what is noted;
// the caller holds mu. A press of one no longer on screen is still
// reported, so that it can be told it came late.
func (n *DBusNotifier) clickLocked(id uint32, action string) (Click, bool) {
	s, ok := n.shown[id]
	if !ok {
		s, ok = n.gone[id]
	}
	return Click{Target: s.target, Key: s.key, Action: action}, ok
}

// report hands a click on without waiting: a full channel drops it.
func (n *DBusNotifier) report(c Click) {
	select {
	case n.clicked <- c:
	default:
		n.lg.Warn("dropping a notification click: too many at once")
	}
}

// settleLocked ends one Notify call (the caller holds mu) and, once none
// is in flight, returns the presses held meanwhile, resolved.
func (n *DBusNotifier) settleLocked() []Click {
	n.notifying--
	if n.notifying > 0 || len(n.early) == 0 {
		return nil
	}
	var clicks []Click
	for _, p := range n.early {
		if c, ok := n.clickLocked(p.id, p.action); ok {
			clicks = append(clicks, c)
		}
	}
	n.early = nil
	return clicks
}

// escapeMarkup makes text safe for a body that is read as markup: the
// spec's markup is a small XML subset, so &, < and > are what matter.
var escapeMarkup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// capabilities asks the server once whether it shows buttons and whether
// it reads bodies as markup. Not knowing, it assumes markup (a plain-text
// server then shows "&amp;" at worst) and no buttons.
func (n *DBusNotifier) capabilities() (actions, markup bool) {
	n.mu.Lock()
	if n.capsOK {
		defer n.mu.Unlock()
		return n.actions, n.markup
	}
	n.mu.Unlock()
	var caps []string
	err := n.obj().Call("org.freedesktop.Notifications.GetCapabilities", 0).Store(&caps)
	n.mu.Lock()
	defer n.mu.Unlock()
	if err != nil {
		return false, true
	}
	n.capsOK, n.actions, n.markup = true, slices.Contains(caps, "actions"), slices.Contains(caps, "body-markup")
	return n.actions, n.markup
}

// Notify implements Notifier.
func (n *DBusNotifier) Notify(note Notification) error {
	actions := []string{}
	withActions, markup := n.capabilities()
	body := note.Body
	if markup {
		body = escapeMarkup(body)
	}
	if withActions {
		for _, a := range note.Actions {
			actions = append(actions, a.Key, a.Label)
		}
	}
	actions = append(actions, "default", "Open")
	n.mu.Lock()
	n.notifying++
	var replaces uint32
	if note.Group != "" {
		replaces = n.byGroup[note.Group]
	}
	n.mu.Unlock()
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant("konui"), "urgency": dbus.MakeVariant(byte(1))}
	call := n.obj().Call("org.freedesktop.Notifications.Notify", 0, "Konui", replaces, n.icon, note.Title, body,
		actions, hints, int32(-1))
	var id uint32
	if call.Err == nil && call.Store(&id) != nil {
		id = 0
	}
	n.mu.Lock()
	if call.Err == nil && id != 0 {
		n.noteLocked(note, replaces, id)
	}
	clicks := n.settleLocked()
	n.mu.Unlock()
	for _, c := range clicks {
		n.report(c)
	}
	if call.Err != nil {
		return fmt.Errorf("failed to show a notification: %w", call.Err)
	}
	return nil
}

// noteLocked remembers notification id, shown for note in place of
// replaces (0: none); the caller holds mu.
func (n *DBusNotifier) noteLocked(note Notification, replaces, id uint32) {
	if replaces != 0 {
		// The replaced notification is gone: its key no longer withdraws this one.
		n.forgetLocked(replaces)
	}
	n.forgetLocked(id)
	n.shown[id] = shownNote{target: note.Target, key: note.Key, group: note.Group}
	if note.Key != "" {
		n.byKey[note.Key] = id
	}
	if note.Group != "" {
		n.byGroup[note.Group] = id
	}
}

// Withdraw implements Notifier.
func (n *DBusNotifier) Withdraw(key string) error {
	n.mu.Lock()
	id, ok := n.byKey[key]
	if ok {
		n.forgetLocked(id)
	}
	n.mu.Unlock()
	if !ok {
		return nil
	}
	if err := n.obj().Call("org.freedesktop.Notifications.CloseNotification", 0, id).Err; err != nil {
		return fmt.Errorf("failed to withdraw a notification: %w", err)
	}
	return nil
}

// Clicked implements Notifier.
func (n *DBusNotifier) Clicked() <-chan Click { return n.clicked }

// Close implements Notifier.
func (n *DBusNotifier) Close() error {
	n.conn.RemoveSignal(n.signals)
	return n.conn.Close()
}

// noNotifier stands in when the OS has no notification service.
type noNotifier struct{ c chan Click }

func (noNotifier) Notify(Notification) error { return nil }
func (noNotifier) Withdraw(string) error     { return nil }
func (n noNotifier) Clicked() <-chan Click   { return n.c }
func (noNotifier) Close() error              { return nil }
