package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/agent/claude"
)

// ProfileView is a profile as the page sees it: never its token.
type ProfileView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	URL      string `json:"url"`
	HasToken bool   `json:"hasToken"`
}

// SettingsView is the settings as the page sees them.
type SettingsView struct {
	Profiles          []ProfileView `json:"profiles"`
	Active            string        `json:"active"`
	Override          string        `json:"override,omitempty"`
	NotifyKontasks    bool          `json:"notifyKontasks"`
	NotifyTurns       bool          `json:"notifyTurns"`
	NotifyPermissions bool          `json:"notifyPermissions"`
	HideToTray        bool          `json:"hideToTray"`
	// TrayAvailable tells whether a tray host shows the icon: without one,
	// closing the window quits even when HideToTray is set.
	TrayAvailable bool   `json:"trayAvailable"`
	ClaudePath    string `json:"claudePath"`
	Paused        bool   `json:"paused"`
}

// GetSettings returns the settings for the settings view (bound method).
func (d *Desktop) GetSettings() SettingsView {
	s := d.settings.Get()
	v := SettingsView{Active: s.Active, NotifyKontasks: s.NotifyKontasks, NotifyTurns: s.NotifyTurns,
		NotifyPermissions: s.NotifyPermissions, HideToTray: s.HideToTray, ClaudePath: s.ClaudePath,
		TrayAvailable: d.trayHost()}
	v.Profiles = append(v.Profiles, ProfileView{ID: LocalProfile, Name: "Local", URL: "embedded Konsole on this computer"})
	for _, p := range s.Profiles {
		v.Profiles = append(v.Profiles, ProfileView{ID: p.ID, Name: p.Name, URL: p.URL, HasToken: p.Token != ""})
	}
	if d.override != nil {
		v.Override = d.override.URL
	}
	d.mu.Lock()
	v.Paused = d.paused
	d.mu.Unlock()
	return v
}

// SaveProfile adds or edits a remote Konsole (bound method). An empty
// token keeps the stored one.
func (d *Desktop) SaveProfile(id, name, url, token string) (ProfileView, error) {
	p, err := d.settings.SaveProfile(Profile{ID: id, Name: name, URL: url, Token: token})
	if err != nil {
		return ProfileView{}, err
	}
	if p.ID == d.settings.Get().Active && d.override == nil {
		if err := d.reconnect(); err != nil {
			return ProfileView{}, err
		}
	}
	return ProfileView{ID: p.ID, Name: p.Name, URL: p.URL, HasToken: true}, nil
}

// DeleteProfile removes a remote Konsole (bound method).
func (d *Desktop) DeleteProfile(id string) error {
	wasActive := d.settings.Get().Active == id
	if err := d.settings.DeleteProfile(id); err != nil {
		return err
	}
	if wasActive && d.override == nil {
		return d.reconnect()
	}
	return nil
}

// UseProfile makes a profile the active one and reconnects (bound method).
func (d *Desktop) UseProfile(id string) error {
	if id != LocalProfile {
		if _, ok := d.settings.Get().Profile(id); !ok {
			return fmt.Errorf("no profile with id %q", id)
		}
	}
	if err := d.settings.Update(func(s *Settings) error { s.Active = id; return nil }); err != nil {
		return err
	}
	if d.override != nil {
		return fmt.Errorf("saved, but this window follows %s (--konsole) until it is restarted", d.override.URL)
	}
	return d.reconnect()
}

// reconnect switches the bridge and tells the page to connect again.
func (d *Desktop) reconnect() error {
	if err := d.connect(); err != nil {
		return err
	}
	d.mu.Lock()
	w := d.win
	d.mu.Unlock()
	if w != nil {
		w.Emit("konui:reconnect")
	}
	return nil
}

// TestProfile checks a URL and token within a few seconds and says what it
// found, as a sentence for the settings view (bound method).
func (d *Desktop) TestProfile(url, token string) string {
	if err := ValidateProfile(Profile{Name: "test", URL: url, Token: token}); err != nil {
		return err.Error()
	}
	url = strings.TrimRight(strings.TrimSpace(url), "/")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "Cannot reach " + url + ": " + err.Error()
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return "ok"
	case http.StatusUnauthorized:
		return "Konsole at " + url + " refused the token."
	default:
		return fmt.Sprintf("%s answered HTTP %d: is it a Konsole?", url, resp.StatusCode)
	}
}

// SetNotifications switches each kind of notification (bound method).
func (d *Desktop) SetNotifications(kontasks, turns, permissions bool) error {
	return d.settings.Update(func(s *Settings) error {
		s.NotifyKontasks, s.NotifyTurns, s.NotifyPermissions = kontasks, turns, permissions
		return nil
	})
}

// SetHideToTray chooses whether closing the window hides it (bound method).
func (d *Desktop) SetHideToTray(hide bool) error {
	return d.settings.Update(func(s *Settings) error { s.HideToTray = hide; return nil })
}

// SetClaudePath saves the Claude Code CLI of the local Konsole and uses it
// at once (bound method); an empty path looks where installs put it again.
// A path that is missing, does not run or is too old is not saved: the
// answer then carries the reason in Error.
func (d *Desktop) SetClaudePath(path string) (claude.Install, error) {
	path = strings.TrimSpace(path)
	if path != "" {
		if !filepath.IsAbs(path) {
			return claude.Install{}, fmt.Errorf("the path must be absolute, like /home/you/.local/bin/claude, not %q", path)
		}
		if in := claude.Locate(claude.LocateOptions{Configured: path}); !in.OK() {
			return in, nil
		}
	}
	if err := d.settings.Update(func(s *Settings) error { s.ClaudePath = path; return nil }); err != nil {
		return claude.Install{}, err
	}
	d.mu.Lock()
	stack := d.stack
	d.mu.Unlock()
	if stack == nil || stack.Konsole == nil {
		return claude.Install{}, errors.New("saved: it applies to the local Konsole, and this window follows a remote one (set the remote Konsole's CLI on that machine)")
	}
	return stack.Konsole.UseAgent(path, false)
}

// SetPaused pauses or resumes notifications (bound method; also the tray).
func (d *Desktop) SetPaused(paused bool) {
	d.mu.Lock()
	d.paused = paused
	d.mu.Unlock()
	d.renderTray()
}

// SetFocused records whether the window has the focus (the page reports it).
func (d *Desktop) SetFocused(focused bool) {
	d.mu.Lock()
	d.focused = focused
	d.mu.Unlock()
	if focused {
		// The window is in front: the turns that finished behind it are seen.
		d.seen("")
	}
}

func (d *Desktop) togglePause() {
	d.mu.Lock()
	p := !d.paused
	d.mu.Unlock()
	d.SetPaused(p)
}

// processStarted is when this process began running Go code.
var processStarted = time.Now()

// DashboardReady is the page saying that it is connected and shows the
// session list (bound method, called once per page load). The log line is
// what the desktop benchmark times the window's first second by.
func (d *Desktop) DashboardReady(sessions int) {
	d.lg.Info("dashboard ready", "sessions", sessions, "sinceStart", time.Since(processStarted).Round(time.Millisecond))
}
