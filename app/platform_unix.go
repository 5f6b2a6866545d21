//go:build unix && !darwin

package app

import "log/slog"

// newNotifier shows notifications over D-Bus (org.freedesktop.Notifications).
func newNotifier(icon string, lg *slog.Logger) (Notifier, error) { return NewDBusNotifier(icon, lg) }

// trayHostPresent: a StatusNotifier host on the session bus, where one may
// be missing (stock GNOME).
func trayHostPresent() bool { return SessionTrayHost() }
