//go:build unix

package claude

import (
	"log/slog"
	"syscall"
)

// tree is the CLI and every process it starts: on Unix, the process
// group it leads (sysProcAttr), signalled as one.
type tree struct{ pid int }

func newTree(pid int, _ *slog.Logger) *tree { return &tree{pid: pid} }

// signal sends sig to the whole group.
func (t *tree) signal(sig syscall.Signal) error { return signalGroup(t.pid, sig) }

// release does nothing: reapTagged ends what left the group.
func (t *tree) release() {}
