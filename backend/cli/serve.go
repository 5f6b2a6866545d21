package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/auth"
	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/httpguard"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/frontend"
)

// DefaultServeListen is the bridge's default address.
const DefaultServeListen = "127.0.0.1:7420"

type serveFlags struct {
	listen, tokenFile, konsoleURL, konsoleTokenFile, konsoleCA string
	tlsCert, tlsKey, data, claude, logLevel                    string
	insecureRemote                                             bool
	// refuseToken and refuseKonsoleToken say why a token flag was refused.
	refuseToken, refuseKonsoleToken func() error
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f serveFlags
	if code, ok := parseFlags(serveFlagSet(&f), "konui serve [flags]", args, stdout, stderr); !ok {
		return code
	}
	for _, refused := range []func() error{f.refuseToken, f.refuseKonsoleToken} {
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

// Stack is a running bridge with its Konsole (local or remote).
type Stack struct {
	Bridge  *bridge.Bridge
	Konsole *konsole.Server // nil for a remote Konsole
}

// Close stops the bridge, then the local Konsole.
func (s *Stack) Close() {
	s.Bridge.Close()
	if s.Konsole != nil {
		s.Konsole.Close()
	}
}

// StackConfig says which Konsole a bridge follows.
type StackConfig struct {
	KonsoleURL, KonsoleToken, KonsoleCA string
	// Claude is the CLI of a flag; SavedClaude the one in the app's settings.
	DataDir, Claude, SavedClaude string
	Token                        string
	UI                           bool
	Logger                       *slog.Logger
	// Bridge, when set, adjusts the bridge's configuration (the desktop
	// app's observer and notifier).
	Bridge func(*bridge.Config)
}

// StartStack starts a local Konsole (unless KonsoleURL is set) and a bridge on it.
func StartStack(c StackConfig) (*Stack, error) {
	st := &Stack{}
	client := &http.Client{}
	if c.KonsoleURL == "" {
		dir := c.DataDir
		if dir == "" {
			d, err := DataDir()
			if err != nil {
				return nil, err
			}
			dir = filepath.Join(d, "konsole")
		}
		k, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: auth.NewToken(), DataDir: dir, Claude: c.Claude,
			SavedClaude: c.SavedClaude, Repository: Repository(), Version: Version, Logger: c.Logger})
		if err != nil {
			return nil, err
		}
		if err := k.Start(); err != nil {
			k.Close()
			return nil, err
		}
		st.Konsole = k
		c.KonsoleURL, c.KonsoleToken = k.URL(), k.Token()
	} else {
		if !strings.HasPrefix(c.KonsoleURL, "http://") && !strings.HasPrefix(c.KonsoleURL, "https://") {
			return nil, fmt.Errorf("the Konsole URL %q must start with http:// or https://", c.KonsoleURL)
		}
		if c.KonsoleCA != "" {
			pem, err := os.ReadFile(c.KonsoleCA)
			if err != nil {
				return nil, fmt.Errorf("failed to read the Konsole CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("the Konsole CA file %s holds no PEM certificate", c.KonsoleCA)
			}
			client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		}
	}
	cfg := bridge.Config{KonsoleURL: c.KonsoleURL, KonsoleToken: c.KonsoleToken, HTTPClient: client, Token: c.Token,
		Version: Version, Logger: c.Logger}
	if c.UI {
		cfg.UI = frontend.Dist()
	}
	if c.Bridge != nil {
		c.Bridge(&cfg)
	}
	b, err := bridge.New(cfg)
	if err != nil {
		if st.Konsole != nil {
			st.Konsole.Close()
		}
		return nil, err
	}
	b.Start()
	st.Bridge = b
	return st, nil
}

func serve(ctx context.Context, f serveFlags, lg *slog.Logger, stdout io.Writer) error {
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if err := konsole.CheckListen(f.listen, f.tlsCert != "", f.insecureRemote); err != nil {
		return err
	}
	konsoleToken, _, err := TokenSource{File: f.konsoleTokenFile, Env: "KONSOLE_TOKEN"}.Read()
	if err != nil {
		return err
	}
	if f.konsoleURL != "" && konsoleToken == "" {
		return errors.New("--konsole needs --konsole-token-file FILE (or $KONSOLE_TOKEN)")
	}
	token, tokenFrom, err := TokenSource{File: f.tokenFile, Env: "KONUI_TOKEN"}.Read()
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
	var cert *tls.Certificate
	if f.tlsCert != "" {
		c, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return fmt.Errorf("failed to load the TLS certificate: %w", err)
		}
		cert = &c
	}
	listenHost, _, _ := net.SplitHostPort(f.listen)
	hosts := httpguard.AllowedHosts(listenHost, cert)
	stack, err := StartStack(StackConfig{KonsoleURL: f.konsoleURL, KonsoleToken: konsoleToken, KonsoleCA: f.konsoleCA,
		DataDir: f.data, Claude: f.claude, Token: token, UI: true, Logger: lg,
		Bridge: func(c *bridge.Config) { c.Hosts = hosts }})
	if err != nil {
		return err
	}
	defer stack.Close()
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("failed to listen on %s: %w", f.listen, err)
	}
	ln = httpguard.Limit(ln, 0)
	scheme := "http"
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	srv := httpguard.NewServer(stack.Bridge.Handler(), slog.NewLogLogger(lg.Handler(), slog.LevelDebug))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	where := "a local Konsole"
	if f.konsoleURL != "" {
		where = "Konsole at " + f.konsoleURL
	}
	base := fmt.Sprintf("%s://%s/", scheme, displayAddr(ln.Addr()))
	if created || isTerminal(stdout) {
		// A token just made, or a person at a terminal: the address is how
		// they open the dashboard. Service logs get where the token is.
		fmt.Fprintf(stdout, "Konui is serving the dashboard for %s.\nOpen: %s#token=%s\n", where, base, token)
	} else {
		fmt.Fprintf(stdout, "Konui is serving the dashboard for %s.\nOpen: %s#token=<the token from %s>\n", where, base, tokenFrom)
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	stack.Bridge.Close()
	srv.Shutdown(sctx)
	return nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// storedServeToken is the dashboard token of konui serve when none is
// given: generated on the first run and kept (mode 0600) beside Konsole's
// in the config folder, so that a bookmarked URL keeps working. from names
// the file; created says it was made just now.
func storedServeToken() (token, from string, created bool, err error) {
	dir, err := ConfigDir()
	if err != nil {
		return "", "", false, err
	}
	path := filepath.Join(dir, "serve-token")
	token, created, err = LoadOrCreateToken(path)
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
