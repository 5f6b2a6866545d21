//go:build unix

package runfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// held tests the flock(2) a Konsole holds on path. A shared lock that can
// be taken at once means no Konsole holds it; it is let go at once.
func held(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to open the data folder's lock: %w", err)
	}
	defer f.Close()
	switch err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); {
	case err == nil:
		// closing f releases it too.
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	default:
		return false, fmt.Errorf("failed to test the data folder's lock: %w", err)
	}
}
