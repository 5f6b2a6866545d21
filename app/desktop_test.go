package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/konsole"
)

type fakeNotifier struct {
	mu        sync.Mutex
	notes     []Notification
	withdrawn []string
	c         chan Click
}

func (f *fakeNotifier) Notify(n Notification) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, n)
	return nil
}
func (f *fakeNotifier) Withdraw(key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.withdrawn = append(f.withdrawn, key)
	return nil
}
func (f *fakeNotifier) Clicked() <-chan Click { return f.c }
func (f *fakeNotifier) Close() error          { return nil }
func (f *fakeNotifier) all() []Notification {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Notification(nil), f.notes...)
}

type fakeTray struct {
	mu     sync.Mutex
	count  int
	newest []TrayItem
	paused bool
}

func (t *fakeTray) SetUnread(n int, newest []TrayItem) {
	t.mu.Lock()
	t.count, t.newest = n, newest
	t.mu.Unlock()
}
func (t *fakeTray) SetPaused(p bool) { t.mu.Lock(); t.paused = p; t.mu.Unlock() }

type fakeWindow struct {
	mu     sync.Mutex
	shown  int
	events []string
}

func (w *fakeWindow) Show() { w.mu.Lock(); w.shown++; w.mu.Unlock() }
func (w *fakeWindow) Hide() {}
func (w *fakeWindow) Emit(name string, data ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.events = append(w.events, name+" "+strings.Trim(strings.Join(strings.Fields(strings.Trim(jsonOf(data), "[]")), " "), `"`))
}
func (w *fakeWindow) Geometry() (Geometry, bool) { return Geometry{}, false }
func (w *fakeWindow) Quit()                      {}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

func newTestDesktop(t *testing.T) (*Desktop, *fakeNotifier, *fakeTray, *fakeWindow) {
	t.Helper()
	st, err := OpenSettings(filepath.Join(t.TempDir(), "konui", "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDesktop(DesktopConfig{Settings: st})
	n, tr, w := &fakeNotifier{c: make(chan Click, 1)}, &fakeTray{}, &fakeWindow{}
	d.Attach(w, n, tr)
	d.run()
	t.Cleanup(d.Stop)
	return d, n, tr, w
}

func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	// Long enough for a loaded machine: what is checked is that it happens.
	for end := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("condition not met within 10 s")
		}
	}
}

func ev(sessionID string, data any) json.RawMessage {
	return json.RawMessage(jsonOf(map[string]any{"sessionId": sessionID, "data": data}))
}

func TestAKontaskIsNotifiedWithItsTitleAndShowsInTheTray(t *testing.T) {
	d, n, tr, _ := newTestDesktop(t)
	d.KontaskCreated(bridge.Kontask{ID: "k1", Title: "Fix stop turn", Description: "Stop did not stop"})
	d.flush()
	if len(n.all()) != 1 {
		t.Fatalf("notifications %+v", n.all())
	}
	if got := n.all()[0]; got.Title != "Fix stop turn" || got.Body != "Stop did not stop" || got.Target != "kontask:k1" {
		t.Fatalf("notification %+v", got)
	}
	if tr.count != 1 || tr.newest[0].Target != "kontask:k1" {
		t.Fatalf("tray %d %v", tr.count, tr.newest)
	}
	d.observe("local", "kontask.updated", ev("", map[string]any{"kontask": map[string]any{"id": "k1", "title": "Fix stop turn", "readAt": "2026-01-01T00:00:00Z"}}))
	d.flush()
	if tr.count != 0 {
		t.Fatalf("a read kontask still counts: %d", tr.count)
	}
}

func TestPauseAndSettingsSilenceNotifications(t *testing.T) {
	d, n, tr, _ := newTestDesktop(t)
	d.SetPaused(true)
	d.flush()
	if !tr.paused {
		t.Fatal("the tray does not show the pause")
	}
	d.KontaskCreated(bridge.Kontask{ID: "k1", Title: "quiet"})
	d.SetPaused(false)
	if err := d.SetNotifications(false, true, true); err != nil {
		t.Fatal(err)
	}
	d.KontaskCreated(bridge.Kontask{ID: "k2", Title: "off"})
	d.flush()
	if len(n.all()) != 0 {
		t.Fatalf("notified while paused or switched off: %+v", n.all())
	}
}

func TestTurnAndPermissionNoticesOnlyWhenTheWindowIsInTheBackground(t *testing.T) {
	d, n, _, _ := newTestDesktop(t)
	d.observe("local", "session.updated", ev("s1", map[string]any{"session": map[string]any{"id": "s1", "title": "api-server"}}))
	d.SetFocused(true)
	d.observe("local", "turn.completed", ev("s1", map[string]any{"reason": "completed"}))
	d.flush()
	if len(n.all()) != 0 {
		t.Fatal("notified while the window had the focus")
	}
	d.SetFocused(false)
	d.observe("local", "turn.completed", ev("s1", map[string]any{"reason": "interrupted"}))
	d.observe("local", "permission.request", ev("s1", map[string]any{"toolName": "Bash", "input": map[string]any{"command": "ls"}}))
	d.flush()
	if a := n.all(); len(a) != 2 {
		t.Fatalf("notifications %+v", a)
	}
	if a := n.all(); a[0].Title != "Turn interrupted in api-server" || !strings.HasPrefix(a[1].Title, "Claude asks to use Bash") {
		t.Fatalf("notifications %+v", a)
	}
	if err := d.SetNotifications(true, false, false); err != nil {
		t.Fatal(err)
	}
	d.observe("local", "turn.completed", ev("s1", map[string]any{"reason": "completed"}))
	d.flush()
	if len(n.all()) != 2 {
		t.Fatal("a switched-off kind was notified")
	}
}

func TestClickingANotificationRaisesTheWindowOnItsKontask(t *testing.T) {
	_, n, _, w := newTestDesktop(t)
	n.c <- Click{Target: "kontask:k9", Action: "default"}
	eventually(t, func() bool { w.mu.Lock(); defer w.mu.Unlock(); return len(w.events) == 1 })
	if w.shown != 1 || w.events[0] != "konui:open-kontask k9" {
		t.Fatalf("shown %d events %v", w.shown, w.events)
	}
}

func TestConcurrentConnectsLeaveOneStackAndStopLeaksNone(t *testing.T) {
	dataDir := t.TempDir()
	st, err := OpenSettings(filepath.Join(t.TempDir(), "konui", "settings.json"))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDesktop(DesktopConfig{Settings: st, DataDir: dataDir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	// Before the bridge serves, the page is told to ask again (not an error).
	if info, err := d.Connection(); err != nil || info != (ConnectionInfo{Starting: true}) {
		t.Fatalf("Connection before connect: %+v, %v", info, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- d.connect() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a connect failed: %v", err)
		}
	}
	info, err := d.Connection()
	if err != nil || info.Starting || info.URL == "" || info.Token == "" {
		t.Fatalf("Connection once serving: %+v, %v", info, err)
	}
	if resp, err := http.Get(info.URL + "/healthz"); err != nil {
		t.Fatalf("the bridge is not serving: %v", err)
	} else {
		resp.Body.Close()
	}
	d.Stop()
	if err := d.connect(); err == nil {
		t.Fatal("a connect after Stop started a stack")
	}
	// A stack left running would still hold the local Konsole's data folder.
	k, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: "t", DataDir: dataDir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("a connect leaked a local Konsole: %v", err)
	}
	k.Close()
}

// godbus refuses a string that is not valid UTF-8, which dropped the
// notification: the body's excerpt of the tool input must cut on characters.
func TestAPermissionNoticeCutsMultiByteInputOnACharacter(t *testing.T) {
	d, n, _, _ := newTestDesktop(t)
	for _, pad := range []string{"", "a"} {
		d.observe("local", "permission.request", ev("s1", map[string]any{"toolName": "Bash",
			"input": map[string]any{"command": pad + strings.Repeat("é日", 200)}}))
	}
	d.flush()
	if len(n.all()) != 2 {
		t.Fatalf("notifications %+v", n.all())
	}
	for _, note := range n.all() {
		if !utf8.ValidString(note.Body) || !strings.HasSuffix(note.Body, "…") {
			t.Fatalf("notification body %q", note.Body)
		}
	}
}

// stuckTray plays a tray whose D-Bus calls hang until released.
type stuckTray struct {
	fakeTray
	entered chan struct{}
	release chan struct{}
}

func (s *stuckTray) SetUnread(n int, newest []TrayItem) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.release
	s.fakeTray.SetUnread(n, newest)
}

func TestAHungTrayDoesNotBlockTheBridgesDeliveryPath(t *testing.T) {
	d, n, _, _ := newTestDesktop(t)
	tr := &stuckTray{entered: make(chan struct{}, 1), release: make(chan struct{})}
	d.Attach(nil, nil, tr)
	returned := make(chan struct{})
	go func() {
		d.KontaskCreated(bridge.Kontask{ID: "k1", Title: "first"})
		d.observe("local", "kontask.created", ev("", map[string]any{"kontask": map[string]any{"id": "k2", "title": "second"}}))
		d.SetPaused(false)
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		close(tr.release)
		t.Fatal("the delivery path waited on the tray")
	}
	<-tr.entered // the tray is being painted, and hangs
	close(tr.release)
	d.flush()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.count != 2 || tr.newest[0].Target != "kontask:k2" || len(n.all()) != 1 {
		t.Fatalf("after the tray recovered: count %d newest %v notes %d", tr.count, tr.newest, len(n.all()))
	}
}

func TestTheTrayListsRequestsKontasksAndUnseenTurnsNewestFirstAndCountsThemAll(t *testing.T) {
	d, _, tr, _ := newTestDesktop(t)
	d.observe("local", "session.updated", ev("s1", map[string]any{"session": map[string]any{"id": "s1", "title": "api-server"}}))
	d.KontaskCreated(bridge.Kontask{ID: "k1", Title: "Review the fix"})
	d.observe("local", "permission.request", ev("s1", map[string]any{"requestId": "r1", "toolName": "Bash", "input": map[string]any{"command": "ls"}}))
	d.observe("local", "turn.completed", ev("s2", map[string]any{"reason": "completed"}))
	d.flush()
	tr.mu.Lock()
	got := jsonOf(tr.newest)
	count := tr.count
	tr.mu.Unlock()
	want := `[{"Target":"session:s2","Title":"Turn finished in a session"},{"Target":"session:s1","Title":"Bash waits for you in api-server"},{"Target":"kontask:k1","Title":"Review the fix"}]`
	if count != 3 || got != want {
		t.Fatalf("tray %d %s", count, got)
	}
	// Answered elsewhere, and the window came to the front: only the kontask is left.
	d.observe("local", "permission.resolved", ev("s1", map[string]any{"requestId": "r1", "behavior": "allow"}))
	d.SetFocused(true)
	d.flush()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.count != 1 || tr.newest[0].Target != "kontask:k1" {
		t.Fatalf("tray %d %v", tr.count, tr.newest)
	}
}

func TestAKontaskNoticeIsClippedOnCharactersAndOffersItsChoicesPrimaryFirst(t *testing.T) {
	d, n, _, _ := newTestDesktop(t)
	raw := json.RawMessage(`{"context":{"choices":[{"label":"One","value":"1"},{"label":"Two","value":"2"},{"label":"Three","value":"3","primary":true},{"label":"Four","value":"4"}]}}`)
	d.KontaskCreated(bridge.Kontask{ID: "k1", SessionID: "s1", Title: strings.Repeat("日", 300), Description: strings.Repeat("é", 900), Raw: raw})
	d.flush()
	got := n.all()[0]
	if !utf8.ValidString(got.Title) || utf8.RuneCountInString(got.Title) > noteTitleChars || utf8.RuneCountInString(got.Body) > noteBodyChars {
		t.Fatalf("title %d chars, body %d chars", utf8.RuneCountInString(got.Title), utf8.RuneCountInString(got.Body))
	}
	if a := jsonOf(got.Actions); a != `[{"Key":"choose:2","Label":"Three"},{"Key":"choose:0","Label":"One"},{"Key":"choose:1","Label":"Two"}]` {
		t.Fatalf("actions %s", a)
	}
	if got.Key != "kontask:k1" || got.Group != "session:s1" {
		t.Fatalf("key %q group %q", got.Key, got.Group)
	}
}
