//go:build !unix

package sessions

import (
	"os"
	"os/exec"
	"testing"
)

// ownSession: the tests that need a process outside the agent's tree run
// on Unix only; elsewhere they only have to compile (make test-cross vets
// them).
func ownSession(*exec.Cmd) {}

// killPid ends pid at once, as a crash would.
func killPid(t *testing.T, pid int) {
	t.Helper()
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Kill()
	}
	if err != nil {
		t.Fatalf("failed to kill %d: %v", pid, err)
	}
}
