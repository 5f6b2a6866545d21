package app

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// closingServer plays org.freedesktop.Notifications: it numbers each
// notification and can close one, as a desktop does when it expires.
type closingServer struct {
	conn *dbus.Conn
	mu   sync.Mutex
	next uint32
}

func (s *closingServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	return s.next, nil
}

func (s *closingServer) signal(member string, body ...any) error {
	return s.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications."+member, body...)
}

// notifierAgainst starts a private bus where srv owns the notification
// service (its connection stored in *conn) and a DBusNotifier talks to it.
func notifierAgainst(t *testing.T, srv any, conn **dbus.Conn) *DBusNotifier {
	t.Helper()
	_, addr := privateBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	c, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	*conn = c
	if err := c.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if reply, err := c.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("failed to own the notification service: %v %v", err, reply)
	}
	n, err := NewDBusNotifier("", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func (n *DBusNotifier) remembered() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.shown)
}

func TestTheDBusNotifierForgetsClosedNotificationsAndStillFollowsOpenOnes(t *testing.T) {
	srv := &closingServer{}
	n := notifierAgainst(t, srv, &srv.conn)
	for _, target := range []string{"kontask:a", "kontask:b", "kontask:c"} {
		if err := n.Notify(Notification{Title: "t", Body: "b", Target: target}); err != nil {
			t.Fatal(err)
		}
	}
	if got := n.remembered(); got != 3 {
		t.Fatalf("remembered %d notifications, want 3", got)
	}
	for _, id := range []uint32{1, 3} {
		if err := srv.signal("NotificationClosed", id, uint32(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.signal("ActionInvoked", uint32(2), "default"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-n.Clicked():
		if c.Target != "kontask:b" || c.Action != "default" {
			t.Fatalf("clicked %+v", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the click on an open notification was not reported")
	}
	// Signals from one sender arrive in order: the two closes came first.
	if got := n.remembered(); got != 1 {
		t.Fatalf("remembered %d notifications after two closed, want 1", got)
	}
}

// eagerServer presses a button of each notification before it answers the
// Notify call, so the press is on the wire ahead of the id it is about: a
// notification replaced in place (same id) and a new one.
type eagerServer struct {
	closingServer
	press string
}

func (s *eagerServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	id := replaces
	if id == 0 {
		s.next++
		id = s.next
	}
	s.mu.Unlock()
	if err := s.signal("ActionInvoked", id, s.press); err != nil {
		return 0, dbus.MakeFailedError(err)
	}
	return id, nil
}

func TestAPressHeardBeforeTheNotifyAnswerGoesToTheNotificationShown(t *testing.T) {
	srv := &eagerServer{press: "allow"}
	n := notifierAgainst(t, srv, &srv.conn)
	next := func(want string) {
		t.Helper()
		select {
		case c := <-n.Clicked():
			if c.Target != want || c.Action != "allow" {
				t.Fatalf("clicked %+v, want %s", c, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the press on %s was lost", want)
		}
	}
	// Each notification of a session replaces the one before under its id:
	// the press belongs to the new one, not to the one it replaced.
	for _, target := range []string{"kontask:a", "permission:b", "permission:c"} {
		if err := n.Notify(Notification{Title: "t", Body: "b", Target: target, Key: target, Group: "session:1"}); err != nil {
			t.Fatal(err)
		}
		next(target)
	}
	// A new id the notifier has not noted yet when the press comes.
	if err := n.Notify(Notification{Title: "t", Body: "b", Target: "kontask:d", Key: "kontask:d", Group: "session:2"}); err != nil {
		t.Fatal(err)
	}
	next("kontask:d")
	select {
	case c := <-n.Clicked():
		t.Fatalf("one press reported twice: %+v", c)
	default:
	}
}
