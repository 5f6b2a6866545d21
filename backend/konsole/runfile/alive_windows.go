package runfile

import (
	"errors"

	"golang.org/x/sys/windows"
)

// Alive tells whether a process with this pid exists: one that answers
// OpenProcess and has not ended, or one the caller may not open (access
// denied: it exists but belongs to another user, which still counts).
// Windows has no zombies: a process that has ended but whose handles are
// still open answers OpenProcess, so waiting on it with no timeout tells
// the two apart; exit codes cannot (an exit code may be STILL_ACTIVE).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION|windows.SYNCHRONIZE, false, uint32(pid))
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return true
	}
	if err != nil {
		return false // ERROR_INVALID_PARAMETER: no such process
	}
	defer windows.CloseHandle(h)
	ev, err := windows.WaitForSingleObject(h, 0)
	return err == nil && ev == uint32(windows.WAIT_TIMEOUT)
}
