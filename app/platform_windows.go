package app

import "log/slog"

// newNotifier shows toast notifications (ToastNotifier).
func newNotifier(icon string, lg *slog.Logger) (Notifier, error) { return NewToastNotifier(icon, lg) }

// trayHostPresent: the notification area is always there on Windows.
func trayHostPresent() bool { return true }
