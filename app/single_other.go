//go:build !linux

package app

// raiseRunningOnSessionBus: elsewhere Wails' own lock handles a second launch.
func raiseRunningOnSessionBus(id string, args []string) bool { return false }
