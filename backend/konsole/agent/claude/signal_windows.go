package claude

import (
	"os"
	"os/exec"
	"syscall"
)

// signalGroup ends the CLI and every process it started when no Job
// object holds them (see tree): Windows has no signals to send a process
// group, so each step of an escalation is taskkill of the whole tree (Stop
// has already asked the CLI to interrupt over its input before anything is
// signalled).
func signalGroup(pid int, _ syscall.Signal) error {
	if exec.Command("taskkill", taskkillArgs(pid)...).Run() == nil {
		return nil
	}
	return killPid(pid)
}

// killPid ends one process at once.
func killPid(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil // gone already
	}
	return p.Kill()
}
