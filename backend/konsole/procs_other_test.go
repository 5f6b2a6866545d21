//go:build !unix

package konsole_test

import (
	"os"
	"os/exec"
	"strconv"

	"github.com/konui/konui/backend/konsole/runfile"
)

// These tests run on Linux; on Windows they only compile (make test-cross
// vets them there), so the helpers do the nearest thing.

func killPid(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

func killGroup(pid int) error {
	return exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(pid)).Run()
}

func pidExists(pid int) bool { return runfile.Alive(pid) }
