package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/cli/stack"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/httpguard"
	"github.com/konui/konui/backend/shared/paths"
)

// DefaultServeListen is the bridge's default address.
const DefaultServeListen = "127.0.0.1:7420"

type serveFlags struct {
	listen, tokenFile                       string
	konsoles                                KonsoleFlags
	tlsCert, tlsKey, data, claude, logLevel string
	insecureRemote                          bool
	// refuseToken says why --token was refused.
	refuseToken func() error
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f serveFlags
	if code, ok := parseFlags(serveFlagSet(&f), "konui serve [flags]", args, stdout, stderr); !ok {
		return code
	}
	for _, refused := range []func() error{f.refuseToken, f.konsoles.RefuseToken} {
		if err := refused(); err != nil {
			fmt.Fprintln(stderr, "konui serve:", err)
			return 2
		}
	}
	lg, err := newLogger(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "konui serve:", err)
		return 2
	}
	if err := serve(ctx, f, lg, stdout); err != nil {
		fmt.Fprintln(stderr, "konui serve:", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, f serveFlags, lg *slog.Logger, stdout io.Writer) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if err := konsole.CheckListen(f.listen, f.tlsCert != "", f.insecureRemote); err != nil {
		return err
	}
	remotes, err := f.konsoles.Targets()
	if err != nil {
		return err
	}
	token, tokenFrom, err := auth.TokenSource{File: f.tokenFile, Env: "KONUI_TOKEN"}.Read()
	if err != nil {
		return err
	}
	created := false
	if token == "" {
		// Kept across runs (mode 0600), so that a bookmarked URL keeps working.
		if token, tokenFrom, created, err = storedServeToken(); err != nil {
			return err
		}
	}
	cert, err := httpguard.LoadCert(f.tlsCert, f.tlsKey)
	if err != nil {
		return err
	}
	listenHost, _, _ := net.SplitHostPort(f.listen)
	hosts := httpguard.AllowedHosts(listenHost, cert)
	cfg := stack.Config{Local: len(remotes) == 0, Remotes: remotes, DataDir: f.data, Claude: f.claude, Token: token,
		Version: Version, UI: true, Logger: lg, Bridge: func(c *bridge.Config) { c.Hosts = hosts }}
	st, err := stack.Start(cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	base, err := st.Serve(f.listen, cert, slog.NewLogLogger(lg.Handler(), slog.LevelDebug))
	if err != nil {
		return err
	}
	where := stack.Describe(cfg)
	n := 0
	for _, r := range st.Fleet.Remotes() {
		if r.Enabled {
			n++
		}
	}
	switch n {
	case 0:
	case 1:
		where += " and the Konsole listed in " + st.Fleet.Path()
	default:
		where += fmt.Sprintf(" and the %d Konsoles listed in %s", n, st.Fleet.Path())
	}
	base += "/"
	if created || isTerminal(stdout) {
		// A token just made, or a person at a terminal: the address is how
		// they open the dashboard. Service logs get where the token is.
		fmt.Fprintf(stdout, "Konui is serving the dashboard for %s.\nOpen: %s#token=%s\n", where, base, token)
	} else {
		fmt.Fprintf(stdout, "Konui is serving the dashboard for %s.\nOpen: %s#token=<the token from %s>\n", where, base, tokenFrom)
	}
	select {
	case <-ctx.Done():
	case err := <-st.Failed():
		return err
	}
	return nil
}

// storedServeToken is the dashboard token of konui serve when none is
// given: generated on the first run and kept (mode 0600) beside Konsole's
// in the config folder, so that a bookmarked URL keeps working. from names
// the file; created says it was made just now.
func storedServeToken() (token, from string, created bool, err error) {
	path, err := paths.ConfigFile("serve-token")
	if err != nil {
		return "", "", false, err
	}
	token, created, err = auth.LoadOrCreateToken(path)
	return token, path, created, err
}

// isTerminal tells whether w is a terminal (a person reads it, not a log).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
