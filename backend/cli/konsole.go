package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/konui/konui/backend/konsole"
)

type konsoleFlags struct {
	listen, tokenFile, data, claude string
	tlsCert, tlsKey, logLevel       string
	insecureRemote                  bool
	keepEvents                      int64
	refuseToken                     func() error // says why --token was refused, if it was given
}

func runKonsole(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f konsoleFlags
	if code, ok := parseFlags(konsoleFlagSet(&f), "konui konsole [flags]", args, stdout, stderr); !ok {
		return code
	}
	if err := f.refuseToken(); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 2
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
	token, announce, err := konsoleToken(f)
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	dataDir := f.data
	if dataDir == "" {
		d, err := DataDir()
		if err != nil {
			fmt.Fprintln(stderr, "konui konsole:", err)
			return 1
		}
		dataDir = filepath.Join(d, "konsole")
	}
	srv, err := konsole.New(konsole.Config{Listen: f.listen, Token: token, DataDir: dataDir, Claude: f.claude,
		Repository: Repository(), TLSCert: f.tlsCert, TLSKey: f.tlsKey, InsecureRemote: f.insecureRemote, KeepEvents: f.keepEvents,
		Version: Version, Logger: lg})
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	if announce != "" {
		fmt.Fprintln(stdout, announce)
	}
	fmt.Fprintf(stdout, "Konsole listening on %s (data in %s)\n", srv.URL(), dataDir)
	<-ctx.Done()
	fmt.Fprintln(stdout, "Konsole stopping")
	return 0
}

// konsoleToken picks the token: --token-file, $KONSOLE_TOKEN, or the
// stored one (generated on first use). announce is what to print: the path
// of a token just generated, never a token's value.
func konsoleToken(f konsoleFlags) (token, announce string, err error) {
	t, _, err := TokenSource{File: f.tokenFile, Env: "KONSOLE_TOKEN"}.Read()
	if err != nil || t != "" {
		return t, "", err
	}
	dir, err := ConfigDir()
	if err != nil {
		return "", "", err
	}
	path := filepath.Join(dir, "konsole-token")
	t, created, err := LoadOrCreateToken(path)
	if err != nil {
		return "", "", err
	}
	if !created {
		return t, "", nil
	}
	return t, fmt.Sprintf("Generated a token in %s (mode 0600): give it to clients as a file (--konsole-token-file) or $KONSOLE_TOKEN", path), nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
