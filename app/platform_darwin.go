package app

import (
	"errors"
	"log/slog"
)

// newNotifier: native notifications on macOS need the UserNotifications
// framework through cgo, which konui does not have yet.
func newNotifier(string, *slog.Logger) (Notifier, error) {
	return nil, errors.New("native notifications are not built for macOS yet")
}

// trayHostPresent: the menu bar, where fyne.io/systray puts the icon, is
// always there on macOS.
func trayHostPresent() bool { return true }
