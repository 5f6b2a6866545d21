package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/konui/konui/backend/konsole/agent/claude"
)

// WriteManPage writes konui(1) in roff from Commands, so that the page
// lists exactly the flags the binary takes. date is the page's date
// (YYYY-MM-DD), version the app's.
func WriteManPage(w io.Writer, version, date string) error {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH KONUI 1 %q %q \"User Commands\"\n", date, "konui "+version)
	b.WriteString(".SH NAME\nkonui \\- a desktop console for Claude Code sessions\n")
	b.WriteString(".SH SYNOPSIS\n")
	for i, c := range Commands() {
		if i > 0 {
			b.WriteString(".br\n")
		}
		fmt.Fprintf(&b, ".B %s\n", c.Name)
		if hasFlags(c.Flags) {
			b.WriteString("[\\fIflags\\fR]\n")
		}
	}
	b.WriteString(`.SH DESCRIPTION
.B konui
drives Claude Code sessions from a native window: start sessions in your
folders, watch the transcript stream, approve tool calls, stop a turn, and
receive kontasks (task cards the agent delivers). Without a mode it opens the
window with an embedded local Konsole, the session manager that runs one
Claude Code CLI process per session, and follows every other Konsole it
knows at once (those of
.B \-\-konsole
and those added in the dashboard).
.B konui serve
serves the same dashboard for a browser;
.B konui konsole
runs the session manager alone, for example on a remote machine.
.PP
The Claude Code CLI is looked for at start: the configured one (the
.B \-\-claude
flag,
.BR $KONUI_CLAUDE ,
or the path set in Settings), else on
.BR PATH ,
in
.IR ~/.claude/local ,
npm's global prefix, nvm's current Node and
.IR ~/.local/bin .
Versions older than `)
	b.WriteString(claude.MinVersion + " are refused with the reason.\n")
	b.WriteString(".SH COMMANDS\n")
	for _, c := range Commands() {
		fmt.Fprintf(&b, ".SS %s\n%s.\n", c.Name, roff(c.Synopsis))
		c.Flags.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(&b, ".TP\n.B \\-\\-%s", strings.ReplaceAll(f.Name, "-", "\\-"))
			if name != "" {
				fmt.Fprintf(&b, " \\fI%s\\fR", name)
			}
			b.WriteString("\n" + roff(usage))
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				b.WriteString(" (default: " + roff(f.DefValue) + ")")
			}
			b.WriteString(".\n")
		})
	}
	b.WriteString(`.SH FILES
.TP
.I $XDG_CONFIG_HOME/konui/settings.json
the window's settings: notifications, the tray, the Claude Code path (mode 0600)
.TP
.I $XDG_CONFIG_HOME/konui/konsoles.json
the remote Konsoles added in the dashboard, with their tokens, followed by the window and konui serve (mode 0600)
.TP
.I $XDG_CONFIG_HOME/konui/konsole-token
the token of konui konsole, generated once (mode 0600)
.TP
.I $XDG_CONFIG_HOME/konui/serve-token
the dashboard token of konui serve, generated once (mode 0600)
.TP
.I $XDG_DATA_HOME/konui/konsole/
Konsole's sessions, event log and kontasks (SQLite)
.SH EXIT STATUS
0 on success and after \-h or \-\-help, 1 when konui cannot start, 2 for a bad flag or mode.
.SH SEE ALSO
.BR claude (1)
.PP
https://github.com/konui/konui
`)
	_, err := io.WriteString(w, b.String())
	return err
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// roff escapes text for a roff paragraph.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return strings.ReplaceAll(s, "\n", " ")
}
