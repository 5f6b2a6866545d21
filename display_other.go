//go:build desktop && (windows || darwin)

package main

// hasDisplay: Windows and macOS sessions always have one (DISPLAY is an X
// variable, unset there).
func hasDisplay() bool { return true }
