package cli

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/konui/konui/backend/bridge/fleet"
	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/shared/auth"
)

// KonsoleFlags are the flags that name the Konsoles of this run, the same
// for the window and for konui serve.
type KonsoleFlags struct {
	// URLs are the --konsole values: http(s) URLs and ssh:// URLs.
	URLs []string
	// TokenFiles are the --konsole-token-file values: the n-th is the
	// token of the n-th http(s) URL.
	TokenFiles []string
	// PairingFiles are files that each hold one pairing string.
	PairingFiles []string
	// CA is a PEM file of a private CA for every https URL.
	CA string
	// RefuseToken says why --konsole-token was refused, if it was given.
	RefuseToken func() error
}

// listFlag is a flag that may be given more than once.
type listFlag struct{ vals *[]string }

func (l listFlag) String() string {
	if l.vals == nil {
		return ""
	}
	return strings.Join(*l.vals, ",")
}

func (l listFlag) Set(v string) error {
	*l.vals = append(*l.vals, v)
	return nil
}

// define adds the flags to fs; local says what --konsole means for the
// local Konsole of this command.
func (k *KonsoleFlags) define(fs *flag.FlagSet, local string) {
	fs.Var(listFlag{&k.URLs}, "konsole", "a remote Konsole to follow for this run, never stored; give it more than once for several: an http(s) `URL` (its token from --konsole-token-file) or ssh://user@host[:port] (reached with the system's ssh, its token read over that connection; konui must be installed there). $KONSOLE_URL names one when no --konsole is given. "+local+" The Konsoles added in the dashboard (konsoles.json in the config folder) are followed as well")
	k.RefuseToken = RefuseTokenFlag(fs, "konsole-token", "--konsole-token-file FILE or $KONSOLE_TOKEN")
	fs.Var(listFlag{&k.TokenFiles}, "konsole-token-file", "`FILE` holding the token of an http(s) --konsole; the n-th is the token of the n-th http(s) --konsole (one Konsole alone may take $KONSOLE_TOKEN instead)")
	fs.Var(listFlag{&k.PairingFiles}, "konsole-pairing-file", "`FILE` holding a pairing string (konui://pair?..., what konui konsole prints), a Konsole to follow for this run with its certificate pinned; may be given more than once. A pairing string holds the token, so it is never taken on the command line")
	fs.StringVar(&k.CA, "konsole-ca", "", "PEM file of a private CA that signed the certificates of the https --konsole URLs")
}

// Targets reads the token and pairing files and returns the Konsoles to
// connect to, in the order given. $KONSOLE_URL and $KONSOLE_TOKEN are read
// (and removed from the environment) only when no flag names a Konsole or
// a token.
func (k KonsoleFlags) Targets() ([]fleet.Target, error) {
	if err := k.RefuseToken(); err != nil {
		return nil, err
	}
	urls := k.URLs
	if len(urls) == 0 && len(k.PairingFiles) == 0 {
		if u := os.Getenv("KONSOLE_URL"); u != "" {
			urls = []string{u}
		}
	}
	ca := ""
	if k.CA != "" {
		var err error
		if ca, err = fleet.ReadCA(k.CA); err != nil {
			return nil, err
		}
	}
	var out []fleet.Target
	var web []int // indexes in out of the http(s) ones
	for _, u := range urls {
		if strings.HasPrefix(strings.TrimSpace(u), pairing.Scheme+"://") {
			return nil, errors.New("--konsole was given a pairing string, which holds the Konsole's token, and a command line is readable by every user of this machine: save it in a file (mode 0600) and pass --konsole-pairing-file FILE")
		}
		t, err := fleet.ParseTarget(u)
		if err != nil {
			return nil, fmt.Errorf("--konsole: %w", err)
		}
		if t.URL != "" {
			web = append(web, len(out))
			if strings.HasPrefix(t.URL, "https://") {
				t.CA = ca
			}
		}
		out = append(out, t)
	}
	if err := k.tokens(out, web); err != nil {
		return nil, err
	}
	for _, path := range k.PairingFiles {
		b, err := auth.ReadSecretFile(path, "pairing file", "pairing string")
		if err != nil {
			return nil, err
		}
		s := strings.TrimSpace(string(b))
		if !strings.HasPrefix(s, pairing.Scheme+"://") {
			return nil, fmt.Errorf("the pairing file %s holds no pairing string (konui://pair?...: what konui konsole printed)", path)
		}
		t, err := fleet.ParseTarget(s)
		if err != nil {
			return nil, fmt.Errorf("the pairing file %s: %w", path, err)
		}
		t.From = "the pairing file " + path
		out = append(out, t)
	}
	return out, nil
}

// tokens gives the http(s) targets (at the indexes web) their tokens: the
// n-th --konsole-token-file, or $KONSOLE_TOKEN for one alone.
func (k KonsoleFlags) tokens(out []fleet.Target, web []int) error {
	switch {
	case len(k.TokenFiles) > len(web):
		return fmt.Errorf("%d --konsole-token-file for %d http(s) --konsole: give one token file per http(s) Konsole, in the same order", len(k.TokenFiles), len(web))
	case len(k.TokenFiles) == 0 && len(web) == 1:
		tok, _, err := auth.TokenSource{Env: "KONSOLE_TOKEN"}.Read()
		if err != nil {
			return err
		}
		if tok == "" {
			return errors.New("--konsole needs --konsole-token-file FILE (or $KONSOLE_TOKEN)")
		}
		out[web[0]].Token = tok
		return nil
	case len(k.TokenFiles) < len(web):
		return fmt.Errorf("%d http(s) --konsole but %d --konsole-token-file: give one token file per http(s) Konsole, in the same order", len(web), len(k.TokenFiles))
	}
	for i, path := range k.TokenFiles {
		tok, _, err := auth.TokenSource{File: path}.Read()
		if err != nil {
			return err
		}
		out[web[i]].Token = tok
	}
	return nil
}
