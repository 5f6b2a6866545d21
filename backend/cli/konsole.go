package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/paths"
)

type konsoleFlags struct {
	listen, tokenFile, data, claude string
	tlsCert, tlsKey, logLevel       string
	advertise                       string
	insecureRemote                  bool
	overSSH                         bool // the remote end of an SSH tunnel (overssh.go)
	keepEvents                      int64
	refuseToken                     func() error // says why --token was refused, if it was given
	// The other things `konui konsole` does instead of running one.
	pairing, status, json            bool
	rotateToken                      bool
	installService, uninstallService bool
}

func runKonsole(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f konsoleFlags
	fs := konsoleFlagSet(&f)
	if code, ok := parseFlags(fs, "konui konsole [flags]", args, stdout, stderr); !ok {
		return code
	}
	if err := f.refuseToken(); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 2
	}
	if f.json && !f.status {
		fmt.Fprintln(stderr, "konui konsole: --json goes with --status")
		return 2
	}
	if f.rotateToken && (f.overSSH || count(f.status, f.pairing, f.installService, f.uninstallService) > 0) {
		fmt.Fprintln(stderr, "konui konsole: --rotate-token goes alone (with --data or --token-file to say which Konsole)")
		return 2
	}
	if f.overSSH && (f.status || f.pairing || f.installService || f.uninstallService) {
		fmt.Fprintln(stderr, "konui konsole: --over-ssh runs a Konsole for a tunnel; it does not go with --status, --pairing, --install-service or --uninstall-service")
		return 2
	}
	if n := count(f.status, f.pairing, f.installService, f.uninstallService); n > 1 {
		fmt.Fprintln(stderr, "konui konsole: give one of --status, --pairing, --install-service and --uninstall-service at a time")
		return 2
	}
	if f.overSSH {
		return runOverSSH(ctx, f, fs, os.Stdin, stdout)
	}
	lg, err := newLogger(stderr, f.logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 2
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		fmt.Fprintln(stderr, "konui konsole: --tls-cert and --tls-key go together")
		return 2
	}
	dataDir := f.data
	if dataDir == "" {
		d, err := runfile.DefaultDataDir()
		if err != nil {
			fmt.Fprintln(stderr, "konui konsole:", err)
			return 1
		}
		dataDir = d
	}
	switch {
	case f.rotateToken:
		return rotateKonsoleToken(f, dataDir, stdout, stderr)
	case f.status:
		return konsoleStatus(ctx, f, dataDir, stdout, stderr)
	case f.pairing:
		return printStoredPairing(f, dataDir, stdout, stderr)
	case f.installService:
		return installService(ctx, f, dataDir, stdout, stderr)
	case f.uninstallService:
		return uninstallService(ctx, stdout, stderr)
	}
	if err := serveKonsole(ctx, f, dataDir, lg, stdout); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	return 0
}

// serveKonsole runs a Konsole until ctx ends: a self-signed certificate
// and a pairing string when it listens beyond loopback without one given.
func serveKonsole(ctx context.Context, f konsoleFlags, dataDir string, lg *slog.Logger, stdout io.Writer) error {
	tok, err := konsoleToken(f, dataDir)
	if err != nil {
		return err
	}
	selfSigned := servesSelfSigned(f)
	if selfSigned {
		// Named now, made below: konsole.New takes the data folder's lock
		// first, so that two starts cannot make two certificates.
		f.tlsCert, f.tlsKey = filepath.Join(dataDir, pairing.CertName), filepath.Join(dataDir, pairing.KeyName)
	}
	// A token kept in a file (not one of $KONSOLE_TOKEN) is followed:
	// `konui konsole --rotate-token` replaces it while this one runs.
	followed := ""
	if !tok.keep {
		followed = tok.file
	}
	srv, err := konsole.New(konsole.Config{Listen: f.listen, Token: tok.token, TokenFile: followed, DataDir: dataDir, Claude: f.claude,
		Repository: paths.Repository(), TLSCert: f.tlsCert, TLSKey: f.tlsKey, InsecureRemote: f.insecureRemote, KeepEvents: f.keepEvents,
		Version: Version, Logger: lg})
	if err != nil {
		return err
	}
	defer srv.Close()
	var fingerprint string
	switch {
	case selfSigned:
		fingerprint, err = selfSignedCert(f, dataDir)
	case f.tlsCert != "":
		fingerprint, err = certFingerprint(f.tlsCert, f.tlsKey)
	}
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	// Written only now: the Konsole holds the data folder's lock, so no
	// second one can overwrite the first one's token file or run file.
	if tok.keep {
		if err := atomicfile.Write(tok.file, []byte(tok.token+"\n"), 0o600); err != nil {
			return err
		}
		defer os.Remove(tok.file)
	}
	info := runfile.Info{PID: os.Getpid(), URL: localURL(srv.URL()), Listen: listenAddr(f.listen, srv.URL()),
		Version: Version, StartedAt: time.Now().UTC(), TokenFile: tok.file, Fingerprint: fingerprint}
	var p *pairing.Pairing
	if selfSigned {
		u, err := pairingURL(srv.URL(), f.listen, f.advertise)
		if err != nil {
			return err
		}
		p = &pairing.Pairing{URL: u, Token: tok.token, Fingerprint: fingerprint}
		info.PairingURL = u
	}
	if err := runfile.Write(dataDir, info); err != nil {
		return err
	}
	defer func() {
		if err := runfile.RemoveIfOwn(dataDir, os.Getpid()); err != nil {
			lg.Warn("failed to remove the run file", "err", err)
		}
	}()
	if tok.announce != "" {
		fmt.Fprintln(stdout, tok.announce)
	}
	fmt.Fprintf(stdout, "Konsole listening on %s (data in %s)\n", srv.URL(), dataDir)
	if p != nil {
		printPairing(stdout, *p, tok.created || isTerminal(stdout), isTerminal(stdout), f.data)
	}
	<-ctx.Done()
	fmt.Fprintln(stdout, "Konsole stopping")
	return nil
}

// konsoleTokenChoice is the token `konui konsole` serves with.
type konsoleTokenChoice struct {
	token string
	// file is where it is kept, for the run file; keep says that file is
	// <data>/run-token, to be written once the Konsole runs and removed
	// when it stops (a token from $KONSOLE_TOKEN, which has no file).
	file string
	keep bool
	// created: generated just now; announce is what to print about it
	// (the path, never the value).
	created  bool
	announce string
}

// konsoleToken picks the token: --token-file, $KONSOLE_TOKEN, or the
// stored one (generated on first use).
func konsoleToken(f konsoleFlags, dataDir string) (konsoleTokenChoice, error) {
	t, from, err := auth.TokenSource{File: f.tokenFile, Env: "KONSOLE_TOKEN"}.Read()
	if err != nil {
		return konsoleTokenChoice{}, err
	}
	if t != "" {
		if f.tokenFile != "" {
			return konsoleTokenChoice{token: t, file: absPath(from)}, nil
		}
		return konsoleTokenChoice{token: t, file: filepath.Join(dataDir, "run-token"), keep: true}, nil
	}
	path, err := storedKonsoleTokenPath()
	if err != nil {
		return konsoleTokenChoice{}, err
	}
	t, created, err := auth.LoadOrCreateToken(path)
	if err != nil {
		return konsoleTokenChoice{}, err
	}
	c := konsoleTokenChoice{token: t, file: path, created: created}
	if created {
		c.announce = fmt.Sprintf("Generated a token in %s (mode 0600): give it to clients as a file (--konsole-token-file) or $KONSOLE_TOKEN", path)
	}
	return c, nil
}

// storedKonsoleTokenPath is where `konui konsole` keeps the token it made.
func storedKonsoleTokenPath() (string, error) {
	return paths.ConfigFile("konsole-token")
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// listenAddr is the listen flag with the port it got (for port 0).
func listenAddr(flag, served string) string {
	host, _, err := net.SplitHostPort(flag)
	u, uerr := url.Parse(served)
	if err != nil || uerr != nil {
		return flag
	}
	return net.JoinHostPort(host, u.Port())
}

// localURL is u with a wildcard host replaced by loopback: the address a
// process on this machine uses (the run file's url).
func localURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	host, port, err := net.SplitHostPort(p.Host)
	if err != nil {
		return u
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		// Go listens on both families for a wildcard and names it [::].
		p.Host = net.JoinHostPort("127.0.0.1", port)
	}
	return p.String()
}

// count is how many of bs are true.
func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
