//go:build !unix

package worktree

import (
	"errors"
	"os"
)

// openRegular opens a regular file for reading; anything else (checked
// before the open) is refused. follow is ignored: outside Unix the
// repository's files are not symlinks git makes.
func openRegular(p string, follow bool) (*os.File, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("failed to open " + p + ": not a regular file")
	}
	return os.Open(p)
}
