package app

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// trayRan says the process has started its one tray.
var trayRan atomic.Bool

// sniWatcher plays org.kde.StatusNotifierWatcher and keeps who registered.
type sniWatcher struct {
	mu      sync.Mutex
	senders []string
}

func (w *sniWatcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.senders = append(w.senders, string(sender))
	return nil
}
func (w *sniWatcher) RegisterStatusNotifierHost(service string) *dbus.Error { return nil }

func (w *sniWatcher) sender() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.senders) == 0 {
		return ""
	}
	return w.senders[len(w.senders)-1]
}

// trayMenuLabels reads the tray's visible menu entries over
// com.canonical.dbusmenu, as a tray host does, with GetGroupProperties
// (fyne.io/systray's GetLayout races with its own refresh, which the race
// detector reports; the entries' properties are what a host shows).
func trayMenuLabels(t *testing.T, conn *dbus.Conn, sender string) []string {
	t.Helper()
	ids := make([]int32, 40)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	var props []struct {
		ID    int32
		Props map[string]dbus.Variant
	}
	err := conn.Object(sender, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.GetGroupProperties", 0, ids, []string{}).Store(&props)
	if err != nil {
		t.Fatalf("failed to read the tray menu: %v", err)
	}
	var labels []string
	for _, item := range props {
		if v, ok := item.Props["visible"]; ok && v.Value() == false {
			continue
		}
		if l, ok := item.Props["label"]; ok {
			labels = append(labels, l.Value().(string))
		}
	}
	return labels
}

func containsPrefix(labels []string, prefix string) bool {
	for _, l := range labels {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// The tray is read as a tray host reads it: the StatusNotifierItem's menu
// over D-Bus lists the waiting request, and after an answer in the
// dashboard no longer does, within a second.
func TestTheTrayMenuListsAWaitingRequestUntilItIsAnswered(t *testing.T) {
	if trayRan.Swap(true) {
		t.Skip("fyne.io/systray keeps global state: its tray starts once per test process (-count=1)")
	}
	var host *sniWatcher
	r := startAnswerRig(t, true, func(conn *dbus.Conn) Tray {
		w := &sniWatcher{}
		if err := conn.Export(w, "/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher"); err != nil {
			t.Fatalf("failed to export the watcher: %v", err)
		}
		if _, err := prop.Export(conn, "/StatusNotifierWatcher", prop.Map{"org.kde.StatusNotifierWatcher": {
			"IsStatusNotifierHostRegistered": {Value: true},
			"RegisteredStatusNotifierItems":  {Value: []string{}},
			"ProtocolVersion":                {Value: int32(0)},
		}}); err != nil {
			t.Fatalf("failed to export the watcher's properties: %v", err)
		}
		if reply, err := conn.RequestName("org.kde.StatusNotifierWatcher", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
			t.Fatalf("failed to own the watcher: %v %v", err, reply)
		}
		icon, err := os.ReadFile("appicon.png")
		if err != nil {
			t.Fatal(err)
		}
		tray := StartSysTray(icon, TrayActions{Open: func() {}, OpenTarget: func(string) {}, TogglePause: func() {}, Quit: func() {}})
		t.Cleanup(tray.Close)
		eventually(t, func() bool { return w.sender() != "" })
		host = w
		return tray
	})
	labels := func() []string { return trayMenuLabels(t, r.srv.conn, host.sender()) }
	eventually(t, func() bool { return containsPrefix(labels(), nothingWaits) })

	r.h.Prompt(r.sid, "[[bash: echo tray > tray.txt]]")
	req := r.st.Until(t, 60*time.Second, func(e kt.Event) bool { return e.Type == "permission.request" })
	rid := req[len(req)-1].DataMap()["requestId"].(string)
	waitLabels(t, 2*time.Second, labels, func(l []string) bool {
		return containsPrefix(l, "Bash waits for you in ") && containsPrefix(l, "1 waiting for you")
	})
	if status, res := r.h.Do("POST", "/v1/sessions/"+r.sid+"/permissions/"+rid, map[string]any{"behavior": "allow"}); status != 200 {
		t.Fatalf("allow: %d %v", status, res)
	}
	waitLabels(t, time.Second, labels, func(l []string) bool { return !containsPrefix(l, "Bash waits for you in ") })
}

// waitLabels polls the menu until ok, failing after d with what it showed.
func waitLabels(t *testing.T, d time.Duration, labels func() []string, ok func([]string) bool) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		l := labels()
		if ok(l) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("the tray menu after %s: %q", d, l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
