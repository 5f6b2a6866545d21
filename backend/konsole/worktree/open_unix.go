//go:build unix

package worktree

import (
	"errors"
	"os"
	"syscall"
)

// openRegular opens a regular file for reading without ever blocking in
// open(2): a FIFO or a device where a file of the repository should be
// (an unpacked archive can hold one) would wait forever, past any
// context. follow says whether a symlink as the last part of the path
// is followed. Anything but a regular file is refused.
func openRegular(p string, follow bool) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if !follow {
		flags |= syscall.O_NOFOLLOW
	}
	f, err := os.OpenFile(p, flags, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("failed to open " + p + ": not a regular file")
	}
	return f, nil
}
