//go:build !unix

package bridge_test

import (
	"os/exec"
	"strconv"
)

// killOrphan ends the agent's tree (these tests run on Linux; on Windows
// they only compile, for make test-cross's vet).
func killOrphan(pid int) {
	_ = exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run() // the tree may have ended already
}
