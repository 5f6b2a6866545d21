package app

import (
	"fmt"
	"log/slog"

	"git.sr.ht/~jackmordaunt/go-toast/wintoast"
)

// toastAppID is how Windows names konui's notifications (Action Center);
// toastGUID is konui's own activation class, so that clicks come to this
// process and not to another program that uses go-toast's default.
const (
	toastAppID = "Konui"
	toastGUID  = "{6E0B4C5D-2F1A-4B7E-9C3D-8A1F0E6B2D47}"
)

// ToastNotifier shows Windows toast notifications through the Windows
// Runtime's COM API (go-toast's wintoast) and reports their clicks.
// Windows keeps no id go-toast exposes for a shown toast, so Withdraw
// cannot take one back and a Group does not replace the previous one.
type ToastNotifier struct {
	icon    string
	lg      *slog.Logger
	clicked chan Click
}

var _ Notifier = (*ToastNotifier)(nil)

// NewToastNotifier registers konui with Windows for notifications (its
// name, icon and activation class, under HKCU) and listens for clicks.
func NewToastNotifier(icon string, lg *slog.Logger) (*ToastNotifier, error) {
	n := &ToastNotifier{icon: icon, lg: lg, clicked: make(chan Click, 16)}
	if err := wintoast.SetAppData(wintoast.AppData{AppID: toastAppID, GUID: toastGUID, IconPath: icon}); err != nil {
		return nil, fmt.Errorf("failed to register konui for notifications: %w", err)
	}
	wintoast.SetActivationCallback(func(_, args string, _ []wintoast.UserData) {
		c, ok := parseToastArgs(args)
		if !ok {
			return
		}
		select {
		case n.clicked <- c:
		default:
			n.lg.Warn("dropping a notification click: too many at once")
		}
	})
	return n, nil
}

// Notify implements Notifier. It pushes over COM only: no PowerShell
// fallback, which would put agent-written text into a script.
func (n *ToastNotifier) Notify(note Notification) error {
	doc, err := toastXML(note, n.icon)
	if err != nil {
		return err
	}
	if err := wintoast.Push(doc); err != nil {
		return fmt.Errorf("failed to show a notification: %w", err)
	}
	return nil
}

// Withdraw implements Notifier: Windows leaves the toast in Action Center.
func (n *ToastNotifier) Withdraw(string) error { return nil }

// Clicked implements Notifier.
func (n *ToastNotifier) Clicked() <-chan Click { return n.clicked }

// Close implements Notifier.
// Clicks after it are ignored (go-toast calls its callback unguarded, so
// it is replaced rather than cleared).
func (n *ToastNotifier) Close() error {
	wintoast.SetActivationCallback(func(string, string, []wintoast.UserData) {})
	return nil
}
