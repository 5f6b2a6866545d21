//go:build !(linux && desktop)

package app

// setWindowIcon: Wails' own window icon does elsewhere.
func setWindowIcon(png []byte) {}
