//go:build !linux && !windows

package app

// raiseRunning: on macOS Wails' own lock handles a second launch.
func raiseRunning(id string, args []string) bool { return false }
