//go:build !unix

package checkpoint

import (
	"os"
	"syscall"
)

// openNoFollow opens the regular file p for reading (checked after the
// open: this platform has no O_NOFOLLOW).
func openNoFollow(p string) (*os.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: p, Err: syscall.EINVAL}
	}
	return f, nil
}
