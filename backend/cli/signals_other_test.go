//go:build !unix

package cli

import (
	"os"
	"syscall"
)

// Windows cannot pause a process with a signal (os.Process.Signal refuses
// all but os.Kill): the tests that do run on Linux, and elsewhere they only
// compile, for make test-cross's vet. These are Linux's numbers.
var sigStop, sigCont os.Signal = syscall.Signal(0x13), syscall.Signal(0x12)
