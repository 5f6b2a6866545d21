//go:build unix

package cli

import "syscall"

// sigStop and sigCont pause and resume a process: one that lives but
// answers nothing.
var sigStop, sigCont = syscall.SIGSTOP, syscall.SIGCONT
