package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/konui/konui/backend/konsole"
)

// Command is one konui command with its flags, for the help and the man page.
type Command struct {
	// Name is "konui", "konui serve", ...; Synopsis its one-line purpose.
	Name, Synopsis string
	// Flags is a flag set with every flag of the command (defaults filled in).
	Flags *flag.FlagSet
}

// Commands lists every command with its flags: the source of the help
// texts and of the konui(1) man page, so that they cannot drift.
func Commands() []Command {
	return []Command{
		{"konui", "open the desktop window on the embedded local Konsole and every other Konsole it follows (the stored ones and those of --konsole)", desktopFlagSet(&DesktopFlags{})},
		{"konui serve", "serve the dashboard for a browser, no window", serveFlagSet(&serveFlags{})},
		{"konui konsole", "run the session manager alone (for a remote machine)", konsoleFlagSet(&konsoleFlags{})},
		{"konui version", "print the version (also konui --version)", flag.NewFlagSet("konui version", flag.ContinueOnError)},
	}
}

// DesktopFlags are the window's own flags (konui without a mode).
type DesktopFlags struct {
	// Konsoles are the remote Konsoles of this run; the local one always
	// runs in the window.
	Konsoles               KonsoleFlags
	Data, Claude, LogLevel string
}

// WindowLocal is what --konsole means for the window's local Konsole.
const WindowLocal = "The window's local Konsole runs as well."

// ServeLocal is what --konsole means for konui serve's local Konsole.
const ServeLocal = "With --konsole (or --konsole-pairing-file) no local Konsole runs in this process; without, one does."

func desktopFlagSet(f *DesktopFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("konui", flag.ContinueOnError)
	f.Konsoles.define(fs, WindowLocal)
	fs.StringVar(&f.Data, "data", "", "data folder of the local Konsole (default: $XDG_DATA_HOME/konui/konsole)")
	fs.StringVar(&f.Claude, "claude", os.Getenv("KONUI_CLAUDE"), claudeUsage)
	fs.StringVar(&f.LogLevel, "log-level", "info", "debug, info, warn or error")
	return fs
}

const claudeUsage = "Claude Code CLI for the local Konsole ($KONUI_CLAUDE); when empty: the path set in Settings, else PATH, ~/.claude/local, npm's global prefix, nvm's current Node and ~/.local/bin"

// ParseDesktop parses the window's flags. When ok is false the caller
// exits with code: 0 after -h (the help went to stdout), 2 on a bad flag.
func ParseDesktop(args []string, stdout, stderr io.Writer) (f DesktopFlags, code int, ok bool) {
	fs := desktopFlagSet(&f)
	code, ok = parseFlags(fs, "konui [flags]", args, stdout, stderr)
	return f, code, ok
}

// parseFlags parses args. -h and --help print the command's help to stdout
// (exit 0); a bad flag prints the error to stderr (exit 2).
func parseFlags(fs *flag.FlagSet, synopsis string, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, true
	case errors.Is(err, flag.ErrHelp):
		printFlags(stdout, fs, synopsis)
		return 0, false
	default:
		fmt.Fprintf(stderr, "Run \"%s -h\" for its flags.\n", fs.Name())
		return 2, false
	}
}

func printFlags(w io.Writer, fs *flag.FlagSet, synopsis string) {
	fmt.Fprintf(w, "Usage: %s\n\nFlags:\n", synopsis)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

// defaultKonsoleListen is where konui konsole listens without --listen:
// $KONUI_KONSOLE_LISTEN, else konsole.DefaultListen. Over SSH it is the
// address the Konsole started there takes when it is free.
func defaultKonsoleListen() string {
	if l := os.Getenv("KONUI_KONSOLE_LISTEN"); l != "" {
		return l
	}
	return konsole.DefaultListen
}

func konsoleFlagSet(f *konsoleFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("konui konsole", flag.ContinueOnError)
	fs.StringVar(&f.listen, "listen", defaultKonsoleListen(), "address to listen on ($KONUI_KONSOLE_LISTEN)")
	f.refuseToken = RefuseTokenFlag(fs, "token", "--token-file FILE or $KONSOLE_TOKEN")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the API token (else $KONSOLE_TOKEN, else one generated once and stored under the config folder)")
	fs.StringVar(&f.data, "data", "", "data folder (default: $XDG_DATA_HOME/konui/konsole)")
	fs.StringVar(&f.claude, "claude", os.Getenv("KONUI_CLAUDE"), "Claude Code CLI to run ($KONUI_CLAUDE); when empty: the path set with PUT /v1/agent, else PATH, ~/.claude/local, npm's global prefix, nvm's current Node and ~/.local/bin")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (serve https); without one, a non-loopback --listen serves a self-signed certificate kept in the data folder and prints a pairing string")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS key file")
	fs.BoolVar(&f.insecureRemote, "insecure-remote", false, "allow plain http on a non-loopback address")
	fs.StringVar(&f.advertise, "advertise", "", "host name or address other machines reach this one at, for the pairing string (default: the listen host, or for a wildcard this machine's first network address)")
	fs.BoolVar(&f.pairing, "pairing", false, "print the pairing string (and QR code) of the Konsole running with this data folder, then exit")
	fs.BoolVar(&f.rotateToken, "rotate-token", false, "give the Konsole of this data folder a new token, then exit: a new one is written (mode 0600, atomically) to its token file, which a running Konsole takes at once, refusing the old one; bridges paired with the old token must pair again. The token is never printed")
	fs.BoolVar(&f.status, "status", false, "tell whether a Konsole runs with this data folder, where and which version, then exit (exit code 3 when none runs)")
	fs.BoolVar(&f.json, "json", false, "with --status: print it as JSON")
	fs.BoolVar(&f.installService, "install-service", false, "write and enable a systemd user unit that runs this Konsole with these flags, then exit")
	fs.BoolVar(&f.uninstallService, "uninstall-service", false, "stop, disable and remove that systemd user unit, then exit")
	fs.Int64Var(&f.keepEvents, "keep-events", 100_000, "events kept for replay")
	fs.BoolVar(&f.overSSH, "over-ssh", false, "the remote end of an SSH tunnel (konui --konsole ssh://user@host): start a Konsole detached from this session unless one runs, print one JSON line {\"url\",\"token\",\"version\"} and wait for stdin to close")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	return fs
}

func serveFlagSet(f *serveFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("konui serve", flag.ContinueOnError)
	fs.StringVar(&f.listen, "listen", DefaultServeListen, "address to listen on")
	f.refuseToken = RefuseTokenFlag(fs, "token", "--token-file FILE or $KONUI_TOKEN")
	fs.StringVar(&f.tokenFile, "token-file", "", "file holding the dashboard token (else $KONUI_TOKEN, else one generated once and kept in $XDG_CONFIG_HOME/konui/serve-token)")
	f.konsoles.define(fs, ServeLocal)
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (serve https and wss)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS key file")
	fs.BoolVar(&f.insecureRemote, "insecure-remote", false, "allow plain http on a non-loopback address")
	fs.StringVar(&f.data, "data", "", "data folder of the local Konsole (default: $XDG_DATA_HOME/konui/konsole)")
	fs.StringVar(&f.claude, "claude", os.Getenv("KONUI_CLAUDE"), claudeUsage)
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	return fs
}
