package app

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// noteServer plays org.freedesktop.Notifications with or without actions:
// it records every Notify and CloseNotification and can press a button.
type noteServer struct {
	conn    *dbus.Conn
	actions bool
	mu      sync.Mutex
	next    uint32
	notes   []shownCall
	closed  []uint32
}

type shownCall struct {
	ID, Replaces  uint32
	Summary, Body string
	Actions       []string
}

func (s *noteServer) Notify(app string, replaces uint32, icon, summary, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replaces
	if id == 0 {
		s.next++
		id = s.next
	}
	s.notes = append(s.notes, shownCall{ID: id, Replaces: replaces, Summary: summary, Body: body, Actions: actions})
	return id, nil
}

func (s *noteServer) CloseNotification(id uint32) *dbus.Error {
	s.mu.Lock()
	s.closed = append(s.closed, id)
	s.mu.Unlock()
	if err := s.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.NotificationClosed", id, uint32(3)); err != nil {
		return dbus.MakeFailedError(err)
	}
	return nil
}

func (s *noteServer) GetCapabilities() ([]string, *dbus.Error) {
	if s.actions {
		return []string{"actions", "body"}, nil
	}
	return []string{"body"}, nil
}

func (s *noteServer) press(t *testing.T, id uint32, action string) {
	t.Helper()
	if err := s.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked", id, action); err != nil {
		t.Fatal(err)
	}
}

// waitNote returns the first notification after the first skip whose
// summary has one of the prefixes, and the count to skip after it, failing
// after 60 s.
func (s *noteServer) waitNote(t *testing.T, skip int, prefixes ...string) (shownCall, int) {
	t.Helper()
	end := time.Now().Add(60 * time.Second)
	for time.Now().Before(end) {
		s.mu.Lock()
		for i := skip; i < len(s.notes); i++ {
			if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s.notes[i].Summary, p) }) {
				n := s.notes[i]
				s.mu.Unlock()
				return n, i + 1
			}
		}
		s.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no notification %q after %d; got %+v", prefixes, skip, s.notes)
	return shownCall{}, 0
}

func (s *noteServer) wasClosed(id uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.closed, id)
}

// answerRig is a Desktop with the real D-Bus notifier on a private bus,
// following a real Konsole (the real CLI on the fake Messages API).
type answerRig struct {
	d   *Desktop
	srv *noteServer
	h   *kt.Harness
	w   *fakeWindow
	sid string
	st  *kt.Stream
}

// startAnswerRig starts the rig; tray, when not nil, makes the tray on the
// bus (its connection is the notification server's).
func startAnswerRig(t *testing.T, actions bool, tray func(*dbus.Conn) Tray) *answerRig {
	privateBus(t)
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	srv := &noteServer{conn: conn, actions: actions}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("failed to own the notification service: %v %v", err, reply)
	}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := NewDBusNotifier("", lg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	h := kt.Start(t, kt.Options{})
	st, err := OpenSettings(filepath.Join(t.TempDir(), "konui", "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDesktop(DesktopConfig{Settings: st, Remotes: []fleet.Target{{AddKonsole: bridge.AddKonsole{Name: "test", URL: h.URL, Token: h.Token}}},
		DataDir: t.TempDir(), StateDir: t.TempDir(), Logger: lg})
	w := &fakeWindow{}
	var tr Tray
	if tray != nil {
		tr = tray(conn)
	}
	d.Attach(w, n, tr)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	// The bridge notifies kontasks created once it follows the Konsoles.
	for i := 0; i < 500 && d.stackState() != "connected"; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	r := &answerRig{d: d, srv: srv, h: h, w: w, sid: h.CreateSession(), st: h.Events(-1)}
	t.Cleanup(r.st.Close)
	return r
}

func (d *Desktop) stackState() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stack == nil {
		return ""
	}
	// "connected" once every Konsole is.
	for _, k := range d.stack.Bridge.Konsoles() {
		if k.State != "connected" {
			return k.State
		}
	}
	return "connected"
}

// turn sends a prompt and returns the turn's events up to its end.
func (r *answerRig) turn(t *testing.T, text string) []kt.Event {
	t.Helper()
	id := r.h.Prompt(r.sid, text)
	return r.st.Until(t, 90*time.Second, kt.TurnCompleted(id))
}

// userPrompts counts the session's user messages that are exactly text.
func (r *answerRig) userPrompts(t *testing.T, text string) int {
	t.Helper()
	_, m := r.h.Do("GET", "/v1/sessions/"+r.sid+"/messages", nil)
	n := 0
	for _, raw := range m["messages"].([]any) {
		msg := raw.(map[string]any)
		if msg["role"] != "user" {
			continue
		}
		if strings.Contains(jsonOf(msg["content"]), `"text":"`+text+`"`) {
			n++
		}
	}
	return n
}

func deltasOf(evs []kt.Event) string {
	var b strings.Builder
	for _, e := range evs {
		if e.Type == "text.delta" {
			b.WriteString(e.DataMap()["text"].(string))
		}
	}
	return b.String()
}

func has(evs []kt.Event, typ string) bool {
	return slices.ContainsFunc(evs, func(e kt.Event) bool { return e.Type == typ })
}

const twoChoices = `[[kontask: {"title":"Pick one","choices":[{"label":"Alpha","value":"go alpha"},{"label":"Beta","value":"go beta","primary":true}]}]]`

func TestNotificationButtonsAnswerKontasksAndRequestsAndStaleNoticesAreWithdrawn(t *testing.T) {
	r := startAnswerRig(t, true, nil)
	srv := r.srv

	// A kontask's notice: its primary choice first, then the other, then Open.
	r.turn(t, twoChoices)
	k1, seen := srv.waitNote(t, 0, "Pick one")
	if want := []string{"choose:1", "Beta", "choose:0", "Alpha", "default", "Open"}; !slices.Equal(k1.Actions, want) {
		t.Fatalf("kontask actions %q, want %q", k1.Actions, want)
	}

	// A request of the same session replaces it rather than stacking, and
	// names the tool and the command.
	r.h.Prompt(r.sid, "[[bash: echo denied > denied.txt]]")
	p1, seen := srv.waitNote(t, seen, "Claude asks to use Bash")
	if p1.Replaces != k1.ID || !strings.Contains(p1.Body, "echo denied > denied.txt") ||
		!slices.Equal(p1.Actions[:6], []string{"allow", "Allow", "deny", "Deny", "always", "Always allow Bash in this session"}) {
		t.Fatalf("request notice %+v (kontask notice %d)", p1, k1.ID)
	}
	srv.press(t, p1.ID, "deny")
	evs := r.st.Until(t, 90*time.Second, func(e kt.Event) bool { return e.Type == "turn.completed" })
	if got := deltasOf(evs); !strings.Contains(got, "Tool result (error)") || !strings.Contains(got, "Denied from the notification") {
		t.Fatalf("after Deny the CLI answered %q", got)
	}
	if _, err := os.Stat(filepath.Join(r.h.Work, "denied.txt")); err == nil {
		t.Fatal("the denied command ran")
	}
	// Answered from the notification: withdrawn on permission.resolved.
	eventually(t, func() bool { return srv.wasClosed(p1.ID) })

	// A choice pressed goes as the next prompt, once: a double press is
	// told it is already being answered, a press after the choice that it
	// was made.
	r.turn(t, twoChoices)
	k2, seen := srv.waitNote(t, seen, "Pick one")
	srv.press(t, k2.ID, "choose:1")
	srv.press(t, k2.ID, "choose:1")
	evs = r.st.Until(t, 90*time.Second, func(e kt.Event) bool { return e.Type == "turn.completed" })
	if got := deltasOf(evs); got != "Echo: go beta" {
		t.Fatalf("after the choice the CLI answered %q", got)
	}
	eventually(t, func() bool { return srv.wasClosed(k2.ID) })
	// The second press is told, whether it came while the first was on its
	// way or after.
	_, told := srv.waitNote(t, seen, "Already being answered", "Choice already made")
	srv.press(t, k2.ID, "choose:0")
	if note, _ := srv.waitNote(t, told, "Choice already made"); note.Body == "" {
		t.Fatal("a press after the choice said nothing")
	}
	if n := r.userPrompts(t, "go beta") + r.userPrompts(t, "go alpha"); n != 1 {
		t.Fatalf("the choice reached the CLI %d times", n)
	}

	// Always allow: allowed now, and the next call of the tool asks nothing.
	r.h.Prompt(r.sid, "[[bash: echo one > one.txt]]")
	p2, seen := srv.waitNote(t, seen, "Claude asks to use Bash")
	srv.press(t, p2.ID, "always")
	r.st.Until(t, 90*time.Second, func(e kt.Event) bool { return e.Type == "turn.completed" })
	if evs := r.turn(t, "[[bash: echo two > two.txt]]"); has(evs, "permission.request") {
		t.Fatal("the tool allowed always asked again")
	}
	for _, f := range []string{"one.txt", "two.txt"} {
		if _, err := os.Stat(filepath.Join(r.h.Work, f)); err != nil {
			t.Fatalf("%s was not written: %v", f, err)
		}
	}

	// Answered in the dashboard (the API): withdrawn, and a press after
	// that sends nothing.
	r.h.Prompt(r.sid, "[[tool Write: {\"file_path\":\"w.txt\",\"content\":\"x\"}]]")
	p3, seen := srv.waitNote(t, seen, "Claude asks to use Write")
	if !strings.Contains(p3.Body, "w.txt") {
		t.Fatalf("request notice %+v", p3)
	}
	req := r.st.Until(t, 10*time.Second, func(e kt.Event) bool { return e.Type == "permission.request" })
	rid := req[len(req)-1].DataMap()["requestId"].(string)
	if status, res := r.h.Do("POST", "/v1/sessions/"+r.sid+"/permissions/"+rid, map[string]any{"behavior": "deny", "message": "from the dashboard"}); status != 200 {
		t.Fatalf("deny: %d %v", status, res)
	}
	answered := time.Now()
	eventually(t, func() bool { return srv.wasClosed(p3.ID) })
	t.Logf("withdrawn %s after the dashboard's answer", time.Since(answered).Round(time.Millisecond))
	r.st.Until(t, 90*time.Second, func(e kt.Event) bool { return e.Type == "turn.completed" })
	srv.press(t, p3.ID, "allow")
	srv.waitNote(t, seen, "Already answered")
	if _, err := os.Stat(filepath.Join(r.h.Work, "w.txt")); err == nil {
		t.Fatal("the write denied in the dashboard ran")
	}
}

func TestWithoutActionsAKontaskNoticeOnlyOpensItsCard(t *testing.T) {
	r := startAnswerRig(t, false, nil)
	r.turn(t, twoChoices)
	k, _ := r.srv.waitNote(t, 0, "Pick one")
	if !slices.Equal(k.Actions, []string{"default", "Open"}) {
		t.Fatalf("actions %q on a server without actions", k.Actions)
	}
	r.srv.press(t, k.ID, "default")
	eventually(t, func() bool {
		r.w.mu.Lock()
		defer r.w.mu.Unlock()
		return len(r.w.events) == 1 && strings.HasPrefix(r.w.events[0], "konui:open-kontask ")
	})
}
