package claude

import "syscall"

// sysProcAttr starts the CLI in a process group of its own, as on Unix.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
