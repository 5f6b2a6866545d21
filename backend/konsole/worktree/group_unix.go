//go:build unix

package worktree

import (
	"os/exec"
	"syscall"
)

// ownGroup starts cmd in a process group of its own, and makes stopping
// it kill the whole group: a hook's background job or a helper git
// started goes with git.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return killGroup(cmd) }
}

// killGroup kills cmd's process group.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}
