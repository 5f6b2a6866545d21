package claude

import (
	"strconv"
	"syscall"
)

// treeStep is what one step of Escalate does to the agent's tree on
// Windows, which has no signals: SIGINT becomes a CTRL_BREAK_EVENT to the
// CLI's process group (the CLI was started in one of its own, where
// CTRL_C is off; Ctrl-Break ends a console program by default), and every
// later step ends the whole Job object at once.
type treeStep int

const (
	stepBreak treeStep = iota
	stepTerminate
)

func windowsStep(sig syscall.Signal) treeStep {
	if sig == syscall.SIGINT {
		return stepBreak
	}
	return stepTerminate
}

// taskkillArgs ends pid and every process below it by force: the way
// Windows ends a tree when no Job object holds it.
func taskkillArgs(pid int) []string {
	return []string{"/T", "/F", "/PID", strconv.Itoa(pid)}
}
