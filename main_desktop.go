//go:build desktop

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/konui/konui/app"
	"github.com/konui/konui/backend/cli"
)

// The desktop build (-tags desktop,production,webkit2_41) opens the window
// when konui runs without a mode.
func main() {
	cli.Version = appVersion()
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr, window))
}

// window is the window mode: without a display it says so and serves the
// dashboard for a browser instead (konui serve with the same flags).
func window(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if !hasDisplay() {
		fmt.Fprintln(stdout, "konui: no display found (DISPLAY and WAYLAND_DISPLAY are unset), so no window can open: serving the dashboard for a browser instead.")
		return cli.Main(append([]string{"serve"}, args...), stdout, stderr)
	}
	fl, code, ok := cli.ParseDesktop(args, stdout, stderr)
	if !ok {
		return code
	}
	remotes, err := fl.Konsoles.Targets()
	if err != nil {
		fmt.Fprintln(stderr, "konui:", err)
		return 2
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(fl.LogLevel)); err != nil {
		fmt.Fprintln(stderr, "konui: unknown log level", fl.LogLevel)
		return 2
	}
	lg := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	return app.Run(app.Options{Remotes: remotes, Data: fl.Data, Claude: fl.Claude,
		Version: cli.Version, Args: args, Logger: lg}, stdout, stderr)
}
