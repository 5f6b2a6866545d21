//go:build unix

package sessions

import (
	"os/exec"
	"syscall"
	"testing"
)

// ownSession starts cmd in a session of its own, away from the agent's
// process group, as a daemonised MCP server or hook would be.
func ownSession(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// killPid ends pid at once, as a crash would.
func killPid(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("failed to kill %d: %v", pid, err)
	}
}
