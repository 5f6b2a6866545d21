// Command konui is a desktop console for Claude Code sessions: a window with
// the dashboard, a headless bridge for a browser (serve) and the session
// manager (konsole). See README.md.
package main

import (
	"os"

	"github.com/konui/konui/backend/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
