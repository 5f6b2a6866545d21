//go:build unix

package konsole_test

import "syscall"

// killPid ends process pid at once (SIGKILL).
func killPid(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// killGroup ends the process group led by pid at once: the agent and the
// tools it started.
func killGroup(pid int) error { return syscall.Kill(-pid, syscall.SIGKILL) }

// pidExists tells whether kill(2) still answers for pid (a zombie counts).
func pidExists(pid int) bool { return syscall.Kill(pid, 0) == nil }
