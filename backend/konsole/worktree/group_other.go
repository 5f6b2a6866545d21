//go:build !unix

package worktree

import "os/exec"

// ownGroup leaves cmd as it is: outside Unix there is no process group
// to kill, and stopping cmd kills git alone.
func ownGroup(cmd *exec.Cmd) {}

// killGroup kills cmd's process.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
