package cli

import (
	"flag"
	"fmt"
)

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
