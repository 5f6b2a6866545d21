//go:build unix

package checkpoint

import (
	"os"
	"syscall"
)

// openNoFollow opens the regular file p for reading; a link (or a FIFO
// that took its place since it was looked at) is refused, not followed
// or waited on.
func openNoFollow(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: p, Err: syscall.EINVAL}
	}
	return f, nil
}
