package app

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/konsole/agent/claude"
)

// SettingsView is the settings as the page sees them.
type SettingsView struct {
	NotifyKontasks    bool `json:"notifyKontasks"`
	NotifyTurns       bool `json:"notifyTurns"`
	NotifyPermissions bool `json:"notifyPermissions"`
	HideToTray        bool `json:"hideToTray"`
	// TrayAvailable tells whether a tray host shows the icon: without one,
	// closing the window quits even when HideToTray is set.
	TrayAvailable bool   `json:"trayAvailable"`
	ClaudePath    string `json:"claudePath"`
	Paused        bool   `json:"paused"`
}

// GetSettings returns the settings for the settings view (bound method).
func (d *Desktop) GetSettings() SettingsView {
	s := d.settings.Get()
	v := SettingsView{NotifyKontasks: s.NotifyKontasks, NotifyTurns: s.NotifyTurns,
		NotifyPermissions: s.NotifyPermissions, HideToTray: s.HideToTray, ClaudePath: s.ClaudePath,
		TrayAvailable: d.trayHost()}
	d.mu.Lock()
	v.Paused = d.paused
	d.mu.Unlock()
	return v
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
		return claude.Install{}, errors.New("saved: the local Konsole is not running yet, and uses it when it starts")
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
