package app

import (
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

// markupServer plays org.freedesktop.Notifications with the given
// capabilities and records the bodies it is sent.
type markupServer struct {
	caps   []string
	mu     sync.Mutex
	bodies []string
}

func (m *markupServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bodies = append(m.bodies, body)
	return uint32(len(m.bodies)), nil
}
func (m *markupServer) GetCapabilities() ([]string, *dbus.Error) { return m.caps, nil }

// TestNotificationBodiesAreEscapedForMarkupServers: kontask descriptions
// and tool input are agent-written; a server that renders body markup
// must get them as text, not links or images (issue 13, 8).
func TestNotificationBodiesAreEscapedForMarkupServers(t *testing.T) {
	_, addr := privateBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	const body = `see <a href="https://evil.example/x">this</a> & <img src="https://evil.example/p.png"/>`
	for _, tc := range []struct {
		caps []string
		want string
	}{
		{[]string{"actions", "body", "body-markup"}, `see &lt;a href="https://evil.example/x"&gt;this&lt;/a&gt; &amp; &lt;img src="https://evil.example/p.png"/&gt;`},
		{[]string{"actions", "body"}, body},
	} {
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			t.Fatal(err)
		}
		srv := &markupServer{caps: tc.caps}
		if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
			t.Fatal(err)
		}
		if reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("failed to own the name: %v %v", err, reply)
		}
		n, err := NewDBusNotifier("", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Notify(Notification{Title: "New kontask", Body: body, Target: "kontask:x"}); err != nil {
			t.Fatal(err)
		}
		n.Close()
		srv.mu.Lock()
		got := srv.bodies
		srv.mu.Unlock()
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("capabilities %v: body %q, want %q", tc.caps, got, tc.want)
		}
		if _, err := conn.ReleaseName("org.freedesktop.Notifications"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
}
