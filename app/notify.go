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

// Notification is what the app asks the OS to show. Target says what its
// action opens ("kontask:ID" or "session:ID").
type Notification struct {
	Title, Body, Target string
}

// Notifier shows native notifications and reports the ones clicked.
type Notifier interface {
	Notify(n Notification) error
	// Clicked delivers the Target of each notification the user activated.
	Clicked() <-chan string
	Close() error
}

// DBusNotifier speaks org.freedesktop.Notifications on the session bus.
type DBusNotifier struct {
	conn    *dbus.Conn
	icon    string
	lg      *slog.Logger
	clicked chan string
	mu      sync.Mutex
	targets map[uint32]string
	signals chan *dbus.Signal
	// markup: the server renders body markup (it announced "body-markup"),
	// so agent-written text is escaped before it goes into a body.
	markup bool
}

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
	n := &DBusNotifier{conn: conn, icon: icon, lg: lg, clicked: make(chan string, 16), targets: map[uint32]string{}, signals: make(chan *dbus.Signal, 32)}
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.Notifications"), dbus.WithMatchMember(member)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("failed to listen for notification signals (%s): %w", member, err)
		}
	}
	conn.Signal(n.signals)
	var caps []string
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	if err := obj.Call("org.freedesktop.Notifications.GetCapabilities", 0).Store(&caps); err == nil {
		n.markup = slices.Contains(caps, "body-markup")
	} else {
		// Not knowing, escape: a plain-text server shows "&amp;" at worst.
		n.markup = true
	}
	go n.listen()
	return n, nil
}

// escapeMarkup makes text safe for a body that is read as markup: the
// spec's markup is a small XML subset, so &, < and > are what matter.
var escapeMarkup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// listen reports clicks and forgets each notification once the server
// says it is closed (expired, dismissed or clicked), so targets stays as
// small as what is on screen.
func (n *DBusNotifier) listen() {
	for sig := range n.signals {
		if len(sig.Body) < 2 {
			continue
		}
		id, _ := sig.Body[0].(uint32)
		switch sig.Name {
		case "org.freedesktop.Notifications.ActionInvoked":
			n.mu.Lock()
			target, ok := n.targets[id]
			n.mu.Unlock()
			if ok {
				select {
				case n.clicked <- target:
				default:
				}
			}
		case "org.freedesktop.Notifications.NotificationClosed":
			n.mu.Lock()
			delete(n.targets, id)
			n.mu.Unlock()
		}
	}
}

// Notify implements Notifier.
func (n *DBusNotifier) Notify(note Notification) error {
	obj := n.conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant("konui"), "urgency": dbus.MakeVariant(byte(1))}
	body := note.Body
	if n.markup {
		body = escapeMarkup(body)
	}
	call := obj.Call("org.freedesktop.Notifications.Notify", 0, "Konui", uint32(0), n.icon, note.Title, body,
		[]string{"default", "Open"}, hints, int32(-1))
	if call.Err != nil {
		return fmt.Errorf("failed to show a notification: %w", call.Err)
	}
	var id uint32
	if err := call.Store(&id); err == nil && note.Target != "" {
		n.mu.Lock()
		n.targets[id] = note.Target
		n.mu.Unlock()
	}
	return nil
}

// Clicked implements Notifier.
func (n *DBusNotifier) Clicked() <-chan string { return n.clicked }

// Close implements Notifier.
func (n *DBusNotifier) Close() error {
	n.conn.RemoveSignal(n.signals)
	return n.conn.Close()
}

// noNotifier stands in when the OS has no notification service.
type noNotifier struct{ c chan string }

func (noNotifier) Notify(Notification) error { return nil }
func (n noNotifier) Clicked() <-chan string  { return n.c }
func (noNotifier) Close() error              { return nil }
