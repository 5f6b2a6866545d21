package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/fleet"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// fleetDesktop starts a Desktop (with a real local Konsole) on the
// settings at settingsPath and the given --konsole remotes, with fake OS
// parts, and waits until every Konsole it follows is connected.
func fleetDesktop(t *testing.T, settingsPath string, remotes ...fleet.Target) (*Desktop, *fakeNotifier, *fakeTray) {
	t.Helper()
	st, err := OpenSettings(settingsPath)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDesktop(DesktopConfig{Settings: st, Remotes: remotes, DataDir: t.TempDir(), StateDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	n, tr := &fakeNotifier{c: make(chan Click, 1)}, &fakeTray{}
	d.Attach(&fakeWindow{}, n, tr)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Stop)
	within(t, 20*time.Second, "every Konsole to connect", func() bool { return d.stackState() == "connected" })
	return d, n, tr
}

func konsoleIDs(d *Desktop) map[string]string {
	out := map[string]string{}
	for _, k := range d.stack.Bridge.Konsoles() {
		out[k.Name] = k.ID
	}
	return out
}

func TestTheSettingsProfilesMoveIntoTheFleetOnceWithTheirIDsAndTokens(t *testing.T) {
	remote := kt.Start(t, kt.Options{})
	dir := filepath.Join(t.TempDir(), "konui")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	settingsPath := filepath.Join(dir, "settings.json")
	old := `{"profiles":[{"id":"devbox1","name":"Dev box","url":"` + remote.URL + `","token":"` + remote.Token + `"}],"active":"devbox1","notifyKontasks":true}`
	if err := os.WriteFile(settingsPath, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	d, _, _ := fleetDesktop(t, settingsPath)
	if ids := konsoleIDs(d); ids["Local"] != bridge.LocalID || ids["Dev box"] != "devbox1" {
		t.Fatalf("the window follows %v, want Local and the profile under its id", ids)
	}
	list, _ := os.ReadFile(filepath.Join(dir, fleet.FileName))
	fi, err := os.Stat(filepath.Join(dir, fleet.FileName))
	if err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(string(list), remote.Token) {
		t.Fatalf("konsoles.json %v %v: %s", fi, err, list)
	}
	if b, _ := os.ReadFile(settingsPath); strings.Contains(string(b), remote.Token) || strings.Contains(string(b), "profiles") {
		t.Fatalf("the settings still hold the profile: %s", b)
	}
	if v := jsonOf(d.GetSettings()); strings.Contains(v, remote.Token) {
		t.Fatalf("the settings view carries a token: %s", v)
	}
	// Removed from the fleet, it is not moved back in at the next start.
	if err := d.stack.Fleet.Remove("devbox1"); err != nil {
		t.Fatal(err)
	}
	d.Stop()
	again, _, _ := fleetDesktop(t, settingsPath)
	if ids := konsoleIDs(again); len(ids) != 1 {
		t.Fatalf("after the profile was removed the window follows %v", ids)
	}
}

// TestTheTrayAndNoticesCoverEveryKonsole: the window follows its local
// Konsole, a stored one and one of --konsole at once; kontasks of each are
// notified and listed with the Konsole's name, an unread one made before
// the start is loaded into the tray, and removing a Konsole in the
// dashboard takes its items off the tray and withdraws its notices.
func TestTheTrayAndNoticesCoverEveryKonsole(t *testing.T) {
	stored, flagged := kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{})
	dir := filepath.Join(t.TempDir(), "konui")
	fl, err := fleet.Open(filepath.Join(dir, fleet.FileName), fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.Add(context.Background(), bridge.AddKonsole{Name: "stored box", URL: stored.URL, Token: stored.Token}); err != nil {
		t.Fatal(err)
	}
	if code, _ := stored.Do("POST", "/v1/kontasks", map[string]any{"title": "Waiting since yesterday"}); code != http.StatusCreated {
		t.Fatalf("POST /v1/kontasks: %d", code)
	}
	d, n, tr := fleetDesktop(t, filepath.Join(dir, "settings.json"),
		fleet.Target{AddKonsole: bridge.AddKonsole{Name: "flag box", URL: flagged.URL, Token: flagged.Token}})
	ids := konsoleIDs(d)
	if len(ids) != 3 || ids["Local"] != bridge.LocalID || ids["stored box"] == "" || ids["flag box"] == "" {
		t.Fatalf("the window follows %v", ids)
	}
	trayTitles := func() []string {
		d.flush()
		tr.mu.Lock()
		defer tr.mu.Unlock()
		var out []string
		for _, it := range tr.newest {
			out = append(out, it.Title)
		}
		return out
	}
	within(t, 10*time.Second, "the stored Konsole's unread kontask in the tray", func() bool {
		return strings.Contains(strings.Join(trayTitles(), "|"), "Waiting since yesterday (stored box)")
	})

	for _, k := range []*kt.Harness{stored, flagged} {
		if code, _ := k.Do("POST", "/v1/kontasks", map[string]any{"title": "Done on " + k.URL, "description": "ready"}); code != http.StatusCreated {
			t.Fatalf("POST /v1/kontasks: %d", code)
		}
	}
	noticeOf := func(konsoleID string) (Notification, bool) {
		d.flush()
		for _, note := range n.all() {
			if note.Konsole == konsoleID {
				return note, true
			}
		}
		return Notification{}, false
	}
	for name, url := range map[string]string{"stored box": stored.URL, "flag box": flagged.URL} {
		within(t, 20*time.Second, "a notice of "+name+" in "+jsonOf(n.all())+" tray "+strings.Join(trayTitles(), "|"), func() bool { _, ok := noticeOf(ids[name]); return ok })
		note, _ := noticeOf(ids[name])
		if note.Title != "Done on "+url || note.Body != "On "+name+": ready" {
			t.Fatalf("the notice of %s: %+v", name, note)
		}
	}
	if titles := strings.Join(trayTitles(), "|"); !strings.Contains(titles, "Done on "+flagged.URL+" (flag box)") {
		t.Fatalf("the tray: %s", titles)
	}

	// Removed in the dashboard (DELETE /api/konsoles/{id} on the window's
	// bridge): its kontasks leave the tray and their notices are withdrawn.
	info, _ := d.Connection()
	req, _ := http.NewRequest("DELETE", info.URL+"/api/konsoles/"+ids["stored box"], nil)
	req.Header.Set("Authorization", "Bearer "+info.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE /api/konsoles: %v %v", resp, err)
	}
	resp.Body.Close()
	titles := strings.Join(trayTitles(), "|")
	if strings.Contains(titles, "stored box") || !strings.Contains(titles, "flag box") {
		t.Fatalf("the tray after the removal: %s", titles)
	}
	n.mu.Lock()
	withdrawn := strings.Join(n.withdrawn, "|")
	n.mu.Unlock()
	if !strings.Contains(withdrawn, "kontask:") {
		t.Fatalf("no notice of the removed Konsole was withdrawn: %q", withdrawn)
	}
	if left, _ := fleet.Open(filepath.Join(dir, fleet.FileName), fleet.Options{}); len(left.Remotes()) != 0 {
		t.Fatalf("the removed Konsole is still stored: %+v", left.Remotes())
	}
}

// within waits up to d for ok, polling.
func within(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTheTrayKeepsTheUnreadKontasksOfAKonsoleThatIsAway: when the tray is
// refilled (a Konsole connected) while another Konsole does not answer,
// what that one listed stays until it answers again.
func TestTheTrayKeepsTheUnreadKontasksOfAKonsoleThatIsAway(t *testing.T) {
	stored := kt.Start(t, kt.Options{})
	dir := filepath.Join(t.TempDir(), "konui")
	fl, err := fleet.Open(filepath.Join(dir, fleet.FileName), fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fl.Add(context.Background(), bridge.AddKonsole{Name: "away box", URL: stored.URL, Token: stored.Token}); err != nil {
		t.Fatal(err)
	}
	if code, _ := stored.Do("POST", "/v1/kontasks", map[string]any{"title": "Read me later"}); code != http.StatusCreated {
		t.Fatalf("POST /v1/kontasks: %d", code)
	}
	d, _, tr := fleetDesktop(t, filepath.Join(dir, "settings.json"))
	inTray := func() bool {
		d.flush()
		tr.mu.Lock()
		defer tr.mu.Unlock()
		for _, it := range tr.newest {
			if it.Title == "Read me later (away box)" {
				return true
			}
		}
		return false
	}
	within(t, 10*time.Second, "the unread kontask in the tray", inTray)

	stored.Server.Close()
	within(t, 10*time.Second, "the bridge to see the Konsole gone", func() bool { return d.stackState() != "connected" })
	d.loadUnread() // what the local Konsole's reconnect does
	if !inTray() {
		t.Fatal("the tray lost the unread kontask of a Konsole that is away")
	}
}
