package auth

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// ProtectProcess makes this process non-dumpable (prctl PR_SET_DUMPABLE 0):
// its /proc/<pid>/environ, mem and maps, and ptrace, are then closed to
// other processes of the same user, such as the agents Konsole runs, which
// could otherwise read the tokens this process holds. It also turns off
// core dumps. Root (CAP_SYS_PTRACE) can still read them. Children get
// their own, dumpable, state at exec.
func ProtectProcess() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("failed to make the process non-dumpable: %w", err)
	}
	return nil
}
