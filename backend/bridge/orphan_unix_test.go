//go:build unix

package bridge_test

import (
	"syscall"
	"time"
)

// killOrphan ends the agent a killed Konsole left behind. Nothing kills it
// with its Konsole: with its stdin gone it still finishes the turn (seconds
// of writing into its HOME) before it exits.
func killOrphan(pid int) {
	syscall.Kill(-pid, syscall.SIGKILL)
	for deadline := time.Now().Add(5 * time.Second); syscall.Kill(pid, 0) == nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}
