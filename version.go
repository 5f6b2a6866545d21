// Command konui is a desktop console for Claude Code sessions: a window with
// the dashboard, a headless bridge for a browser (serve) and the session
// manager (konsole). See README.md.
//
// main.go is the plain build (konsole and serve, no window), main_desktop.go
// the desktop build (-tags desktop), main_bindings.go what Wails' binding
// generator builds; this file, in all three, holds the version.
package main

import (
	_ "embed"
	"strings"
)

// version is the VERSION file: the one place the app's version is written
// (the Makefile, wails.json and the Debian package read it too).
//
//go:embed VERSION
var version string

// appVersion is the version without the file's newline.
func appVersion() string { return strings.TrimSpace(version) }
