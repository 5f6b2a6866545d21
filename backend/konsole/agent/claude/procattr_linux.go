package claude

import "syscall"

// sysProcAttr puts the agent in its own process group, so that Stop can
// signal the CLI and its tools together, and asks for a parent-death
// signal, so that an agent never outlives a Konsole that was killed (kill -9
// included).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
