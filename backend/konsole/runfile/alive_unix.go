//go:build unix

package runfile

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// Alive tells whether a process with this pid exists (EPERM: it exists
// but belongs to another user, which still counts). A zombie, one that
// has ended but whose parent has not reaped it yet, is gone: it answers
// kill(2) but serves nothing (a Konsole killed while the `--over-ssh`
// that started it is itself going away stays one for a while).
func Alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return (err == nil || errors.Is(err, syscall.EPERM)) && !zombie(pid)
}

// zombie tells whether /proc says pid has ended (state Z or X). Where
// there is no /proc to read, kill(2)'s answer stands.
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	return b[i+2] == 'Z' || b[i+2] == 'X'
}
