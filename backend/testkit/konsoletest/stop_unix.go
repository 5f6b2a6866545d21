//go:build unix

package konsoletest

import (
	"syscall"
	"time"

	"github.com/konui/konui/backend/konsole/runfile"
)

// StopKonsoleOf ends the Konsole running on dataDir (its run file names
// it) the way a person does, SIGTERM, so that it ends its agents; after
// 15 s it is killed. It reaps the process, which it can where the test is
// its parent or its child subreaper.
func StopKonsoleOf(dataDir string) {
	i, ok, _ := runfile.Read(dataDir)
	if !ok {
		return
	}
	// A process that has ended refuses the signals, and Wait4 fails where
	// the test is not its parent: both leave nothing to wait for.
	_ = syscall.Kill(i.PID, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(i.PID, &ws, 0, nil)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(i.PID, syscall.SIGKILL)
		<-done
	}
}
