package cli

import (
	"flag"
	"fmt"
	"os"
)

// TokenSource says where a token comes from. Tokens are never taken from
// the command line: /proc/<pid>/cmdline is readable by every local user.
type TokenSource struct {
	// File is the value of a --...-token-file flag.
	File string
	// Env is the variable to read when File is empty, e.g. KONSOLE_TOKEN.
	Env string
}

// Read returns the token from the file, else from the environment, and
// where it came from (for messages, never the value). It returns "" when
// neither is set. The variable is removed from this process's environment
// once read, so that no child (an agent) inherits it.
func (s TokenSource) Read() (token, from string, err error) {
	if s.File != "" {
		t, err := ReadTokenFile(s.File)
		return t, s.File, err
	}
	if s.Env != "" {
		if t := os.Getenv(s.Env); t != "" {
			os.Unsetenv(s.Env)
			return t, "$" + s.Env, nil
		}
	}
	return "", "", nil
}

// refusedTokenFlag is a flag that used to take a token on the command line:
// it is still parsed, so that an old invocation gets a sentence that says
// what to do instead of "flag provided but not defined".
type refusedTokenFlag struct {
	name, instead string
	set           *bool
}

func (f refusedTokenFlag) String() string { return "" }

func (f refusedTokenFlag) Set(string) error {
	*f.set = true
	return nil
}

// RefuseTokenFlag defines -name on fs as a refused flag; check the returned
// error after fs.Parse.
func RefuseTokenFlag(fs *flag.FlagSet, name, instead string) func() error {
	set := false
	fs.Var(refusedTokenFlag{name: name, instead: instead, set: &set}, name,
		"refused: a token on the command line is readable by every local user; use "+instead)
	return func() error {
		if !set {
			return nil
		}
		return fmt.Errorf("--%s is refused: a token on the command line can be read by every user of this machine (/proc/<pid>/cmdline, ps); pass it with %s", name, instead)
	}
}
