package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Version is the konui version; main sets it from the VERSION file it
// embeds (the one place the build, wails.json and the package read).
var Version = "dev"

// Window runs the window mode (konui without a mode) with the arguments
// after the program name. The desktop build's main passes one to Run (it
// calls the app; cli itself never imports it).
type Window func(ctx context.Context, args []string, stdout, stderr io.Writer) int

const usage = `konui: a desktop console for Claude Code sessions.

Usage:
  konui [flags]            open the desktop window (embedded local Konsole)
  konui serve [flags]      serve the dashboard for a browser, no window
  konui konsole [flags]    run the session manager alone (for a remote machine)
  konui version            print the version (also konui --version)

Run "konui <mode> -h" for the flags of a mode. "man konui" describes them all.
`

// Main runs konui with args (without the program name) and returns the
// exit code, as a binary built without the window.
func Main(args []string, stdout, stderr io.Writer) int {
	return Run(args, stdout, stderr, nil)
}

// Run is Main with the window mode: window runs it, and nil means the
// binary was built without the window (the mode says so and exits 2).
func Run(args []string, stdout, stderr io.Writer, window Window) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	mode := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		mode, args = args[0], args[1:]
	}
	switch mode {
	case "konsole":
		return runKonsole(ctx, args, stdout, stderr)
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "konui", Version)
		return 0
	case "help":
		printHelp(stdout)
		return 0
	case "":
		if len(args) > 0 {
			switch args[0] {
			case "-h", "--help", "-help":
				printHelp(stdout)
				return 0
			case "--version", "-version", "-v":
				fmt.Fprintln(stdout, "konui", Version)
				return 0
			}
		}
		if window == nil {
			if _, code, ok := ParseDesktop(args, stdout, stderr); !ok {
				return code
			}
			fmt.Fprintln(stderr, "konui: this binary was built without the desktop window (build with -tags desktop,production,webkit2_41, or run \"make run\"); use \"konui serve\" for the dashboard in a browser")
			return 2
		}
		return window(ctx, args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "konui: unknown mode %q\n\n%s", mode, usage)
		return 2
	}
}

// printHelp prints the usage and the window's own flags.
func printHelp(w io.Writer) {
	fmt.Fprint(w, usage)
	fmt.Fprintln(w, "\nFlags of the window (konui [flags]):")
	fs := desktopFlagSet(&DesktopFlags{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("unknown log level %q (debug, info, warn, error)", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
