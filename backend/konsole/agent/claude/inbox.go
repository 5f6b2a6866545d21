package claude

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// MaxQueuedInput bounds what may wait to be written to the CLI's stdin; a
// write beyond it fails instead of growing without end behind a CLI that has
// stopped reading.
const MaxQueuedInput = 256 << 20

// errInputClosed is returned for a write after CloseInput or after the
// writer failed.
var errInputClosed = errors.New("the CLI's input is closed")

// inbox is the CLI's stdin with one owner goroutine. Callers queue lines and
// return at once: a caller may hold a lock that the stdout reader needs, and
// a CLI that is itself blocked writing stdout stops reading stdin, so a
// caller that wrote directly could deadlock with it.
type inbox struct {
	w    io.WriteCloser
	done <-chan struct{} // closed when the process has exited

	mu      sync.Mutex
	queue   [][]byte
	queued  int
	closing bool  // CloseInput was called: close w once the queue is written
	err     error // the first write error; the queue is dropped after it
	wake    chan struct{}
	stopped chan struct{} // closed when run returns
}

func newInbox(w io.WriteCloser, done <-chan struct{}) *inbox {
	in := &inbox{w: w, done: done, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go in.run()
	return in
}

// put queues one line; it never blocks on the CLI.
func (in *inbox) put(b []byte) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case in.err != nil:
		return fmt.Errorf("failed to write to the CLI: %w", in.err)
	case in.closing:
		return fmt.Errorf("failed to write to the CLI: %w", errInputClosed)
	case in.queued+len(b) > MaxQueuedInput:
		return fmt.Errorf("failed to write to the CLI: %d bytes already wait for it to read its input", in.queued)
	}
	in.queue = append(in.queue, b)
	in.queued += len(b)
	in.signal()
	return nil
}

// close asks the writer to close stdin once what is queued is written.
func (in *inbox) close() {
	in.mu.Lock()
	in.closing = true
	in.signal()
	in.mu.Unlock()
}

func (in *inbox) signal() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// run writes queued lines in order until stdin is closed, a write fails or
// the process exits (os/exec then closes the pipe, which ends a blocked write).
func (in *inbox) run() {
	defer close(in.stopped)
	defer in.w.Close()
	for {
		select {
		case <-in.wake:
		case <-in.done:
			in.fail(errors.New("the CLI has exited"))
			return
		}
		for {
			in.mu.Lock()
			if len(in.queue) == 0 {
				closing := in.closing
				in.mu.Unlock()
				if closing {
					in.fail(errInputClosed)
					return
				}
				break
			}
			b := in.queue[0]
			in.queue[0] = nil
			in.queue = in.queue[1:]
			in.queued -= len(b)
			in.mu.Unlock()
			if _, err := in.w.Write(b); err != nil {
				in.fail(err)
				return
			}
		}
	}
}

// fail records err for later writes and drops what is still queued.
func (in *inbox) fail(err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err == nil {
		in.err = err
	}
	in.queue, in.queued = nil, 0
}
