package app

// Window is what the app needs of its native window; the Wails runtime
// implements it in the desktop build, tests use a fake.
type Window interface {
	Show()
	Hide()
	// Emit sends an event to the page (window.runtime.EventsOn).
	Emit(name string, data ...any)
	Geometry() (Geometry, bool)
	Quit()
}
