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

// The window's default and smallest sizes.
const (
	defaultWidth, defaultHeight = 1280, 820
	minWidth, minHeight         = 720, 460
	// Room left for panels and the title bar.
	screenMarginX, screenMarginY = 40, 80
)

// FitWindow is the window's geometry on a screen of sw x sh: the saved size
// (else the default) made to fit, and the saved position moved so that the
// whole window is on that screen. Without a saved position it is centred.
func FitWindow(saved *Geometry, sw, sh int) Geometry {
	g := Geometry{Width: defaultWidth, Height: defaultHeight}
	if saved != nil {
		g.X, g.Y = saved.X, saved.Y
		if saved.Width >= minWidth && saved.Height >= minHeight {
			g.Width, g.Height = saved.Width, saved.Height
		}
	}
	if sw <= 0 || sh <= 0 {
		return g
	}
	maxW, maxH := max(sw-screenMarginX, min(minWidth, sw)), max(sh-screenMarginY, min(minHeight, sh))
	g.Width, g.Height = min(g.Width, maxW), min(g.Height, maxH)
	if saved == nil || saved.Width <= 0 {
		g.X, g.Y = (sw-g.Width)/2, (sh-g.Height)/2
		return g
	}
	g.X = min(max(g.X, 0), sw-g.Width)
	g.Y = min(max(g.Y, 0), sh-g.Height)
	return g
}
