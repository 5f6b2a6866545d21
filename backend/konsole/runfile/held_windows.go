//go:build windows

package runfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// held tests the LockFileEx lock a Konsole holds on path (see
// backend/konsole's lock_windows.go): a shared lock of the same byte that
// can be taken at once means no Konsole holds it; it is let go at once.
func held(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("failed to open the data folder's lock: %w", err)
	}
	defer f.Close()
	h := windows.Handle(f.Fd())
	var o windows.Overlapped
	switch err := windows.LockFileEx(h, windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &o); {
	case err == nil:
		_ = windows.UnlockFileEx(h, 0, 1, 0, &o) // closing the file releases it too
		return false, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return true, nil
	default:
		return false, fmt.Errorf("failed to test the data folder's lock: %w", err)
	}
}
