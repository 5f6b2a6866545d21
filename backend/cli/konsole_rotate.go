package cli

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/auth"
)

// rotateKonsoleToken writes a new token to the token file of the Konsole
// of dataDir: the one its run file names while it runs, else --token-file,
// else the stored one. A running Konsole follows that file (Config.
// TokenFile) and refuses the old token from its next request on. The new
// token is never printed: it stays in the file, mode 0600.
func rotateKonsoleToken(f konsoleFlags, dataDir string, stdout, stderr io.Writer) int {
	path, run, err := rotatedTokenFile(f, dataDir)
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		fmt.Fprintf(stderr, "konui konsole: failed to create %s: %v\n", filepath.Dir(path), err)
		return 1
	}
	if err := atomicfile.Write(path, []byte(auth.NewToken()+"\n"), 0o600); err != nil {
		fmt.Fprintln(stderr, "konui konsole: failed to write the new token:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Wrote a new token to %s (mode 0600); the old one is refused from now on.\n", path)
	if run != nil {
		// Konsole looks at its token file on every request: one now makes
		// it drop the old token (and the streams opened with it) at once.
		if err := poke(run.URL); err != nil {
			fmt.Fprintf(stdout, "The running Konsole did not answer (%v): it takes the new token at its next request.\n", err)
		} else {
			fmt.Fprintln(stdout, "The running Konsole took it at once: no restart is needed.")
		}
	} else {
		fmt.Fprintln(stdout, "No Konsole runs with this data folder now: the next one to start takes it.")
	}
	fmt.Fprintln(stdout, "Bridges that used the old token must pair again: `konui konsole --pairing` prints the new pairing string, or give them the file.")
	return 0
}

// rotatedTokenFile is the file to write the new token to, and the
// running Konsole that follows it (nil when none runs).
func rotatedTokenFile(f konsoleFlags, dataDir string) (string, *runfile.Info, error) {
	if i, ok, err := runfile.Read(dataDir); err == nil && ok && i.TokenFile != "" {
		if i.TokenFile == filepath.Join(dataDir, "run-token") {
			return "", nil, fmt.Errorf("the Konsole running with %s took its token from $KONSOLE_TOKEN, which it cannot follow: set a new one there and restart it", dataDir)
		}
		return i.TokenFile, &i, nil
	}
	if f.tokenFile != "" {
		return absPath(f.tokenFile), nil, nil
	}
	path, err := storedKonsoleTokenPath()
	return path, nil, err
}

// poke asks a Konsole's /healthz, which sends no token: its certificate
// need not be checked (a self-signed one is the rule on a network address).
func poke(base string) error {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get(strings.TrimRight(base, "/") + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}
