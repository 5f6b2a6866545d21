//go:build unix && !linux

package claude

import "syscall"

// sysProcAttr puts the agent in its own process group, so that Stop can
// signal the CLI and its tools together. These systems have no parent-death
// signal: an agent of a Konsole killed with kill -9 runs until its stdin
// closes, which Claude Code takes as the end of its input.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
