// Command konui is a desktop console for Claude Code sessions: a window with
// the dashboard, a headless bridge for a browser (serve) and the session
// manager (konsole). See README.md.
package main

import (
	_ "embed"
	"os"
	"strings"

	"github.com/konui/konui/backend/cli"
)

// version is the VERSION file: the one place the app's version is written
// (the Makefile, wails.json and the Debian package read it too).
//
//go:embed VERSION
var version string

func main() {
	cli.Version = strings.TrimSpace(version)
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
