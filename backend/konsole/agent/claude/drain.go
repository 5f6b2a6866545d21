package claude

import (
	"os"
	"sync/atomic"
	"time"
)

// ExitDrain is how long the end of an agent waits, once the CLI has
// exited, for the reads of its stdout and stderr to end. A pipe still open
// after that is held by a process the CLI left behind (an MCP server or a
// hook that inherited it): it is closed once its reader has nothing left to
// read, so that such a process cannot keep a session running, nor DELETE
// and Konsole's shutdown waiting, for as long as it lives.
const ExitDrain = 500 * time.Millisecond

// drainIdle is how long a reader must have waited in one Read, with
// nothing to read, before drain closes its pipe.
const drainIdle = 50 * time.Millisecond

// pipeReader is the read end of one of the CLI's output pipes. It tells
// drain whether its reader waits for data (the pipe is empty) or is busy
// with what it read, so that closing the pipe never drops output the CLI
// wrote before it exited. Its owner closes done when reading has ended.
type pipeReader struct {
	f     *os.File
	reads atomic.Int64 // Read calls begun
	in    atomic.Bool  // a Read is under way
	done  chan struct{}
}

func newPipeReader(f *os.File) *pipeReader {
	return &pipeReader{f: f, done: make(chan struct{})}
}

func (r *pipeReader) Read(b []byte) (int, error) {
	r.reads.Add(1)
	r.in.Store(true)
	n, err := r.f.Read(b)
	r.in.Store(false)
	return n, err
}

// drain waits up to grace for each reader to end, then closes the pipe of
// each one still reading once it has waited drainIdle in one Read, and
// waits for it to end. The CLI has exited when it is called.
func drain(grace time.Duration, pipes ...*pipeReader) {
	deadline := time.NewTimer(grace)
	defer deadline.Stop()
	for _, r := range pipes {
		select {
		case <-r.done:
			r.f.Close()
			continue
		case <-deadline.C:
			deadline.Reset(0) // the grace is spent for the pipes after this one too
		}
		r.closeWhenIdle()
	}
}

func (r *pipeReader) closeWhenIdle() {
	tick := time.NewTicker(drainIdle)
	defer tick.Stop()
	seen := int64(-1)
	for {
		select {
		case <-r.done:
			r.f.Close()
			return
		case <-tick.C:
		}
		n := r.reads.Load()
		if r.in.Load() && n == seen {
			r.f.Close() // ends the Read that waits
			<-r.done
			return
		}
		seen = n
	}
}
