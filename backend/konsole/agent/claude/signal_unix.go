//go:build unix

package claude

import (
	"errors"
	"syscall"
)

// signalGroup sends sig to the process group led by pid (the CLI and the
// tools it started in its group); a group that is gone is not an error.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// killPid ends one process at once.
func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
