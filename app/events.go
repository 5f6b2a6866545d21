package app

// The events the app sends the page (Window.Emit; the page listens with
// window.runtime.EventsOn). desktopEvents in frontend/src/lib/platform.ts
// names the same ones: TestEventNamesAreTheSameInGoAndTypeScript checks
// the two lists against each other, and that Emit is only given these.
const (
	// EventOpenKontask opens a kontask; its argument is the kontask's id.
	EventOpenKontask = "konui:open-kontask"
	// EventOpenSession opens a session; its argument is the session's id.
	EventOpenSession = "konui:open-session"
)
