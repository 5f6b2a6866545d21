package sessions

import (
	"sync"
	"time"
)

// writer is the one owner of a session's writes to the store (its row,
// transcript, usage and prompt queue). A session queues a write under its
// lock and returns at once; the writer runs the writes in the order they
// were queued, without any session lock, so that a store that hangs stalls
// the session's writes and nothing else: Stop, permission answers,
// listing and every other session go on. Readers of what a session wrote
// (its transcript, usage) call flush first, so that they read every row
// of the events they may have seen.
//
// Its goroutine runs only while writes wait; flush (Manager.Close calls
// it) waits for it.
type writer struct {
	mu sync.Mutex
	// progress is closed, and replaced, each time a write is done.
	progress chan struct{}
	jobs     []func()
	queued   uint64 // writes queued so far
	written  uint64 // writes done so far
	running  bool
}

func newWriter() *writer {
	return &writer{progress: make(chan struct{})}
}

// do queues job and returns its number, for wait. It never blocks on the
// store.
func (w *writer) do(job func()) uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.jobs = append(w.jobs, job)
	w.queued++
	if !w.running {
		w.running = true
		go w.run()
	}
	return w.queued
}

// run writes until nothing waits.
func (w *writer) run() {
	for {
		w.mu.Lock()
		if len(w.jobs) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		job := w.jobs[0]
		w.jobs[0] = nil
		w.jobs = w.jobs[1:]
		w.mu.Unlock()
		job()
		w.mu.Lock()
		w.written++
		close(w.progress)
		w.progress = make(chan struct{})
		w.mu.Unlock()
	}
}

// wait returns once write n (from do) and every write before it is done.
func (w *writer) wait(n uint64) {
	w.waitUntil(n, nil)
}

// waitUntil is wait that gives up when deadline fires; it reports whether
// write n is done.
func (w *writer) waitUntil(n uint64, deadline <-chan time.Time) bool {
	for {
		w.mu.Lock()
		done, progress := w.written >= n, w.progress
		w.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-progress:
		case <-deadline:
			return false
		}
	}
}

// flush returns once every write queued so far is done.
func (w *writer) flush() {
	w.flushUntil(nil)
}

// flushUntil is flush that gives up when deadline fires.
func (w *writer) flushUntil(deadline <-chan time.Time) bool {
	w.mu.Lock()
	n := w.queued
	w.mu.Unlock()
	return w.waitUntil(n, deadline)
}

// write queues a write whose error the caller wants: the returned func
// waits for it (call it without holding the session's lock) and returns
// its error.
func (w *writer) write(job func() error) func() error {
	var err error
	n := w.do(func() { err = job() })
	return func() error {
		w.wait(n)
		return err
	}
}

// settle waits for the session's critical section in progress, if any: a
// section emits its events and queues its writes under the lock, in either
// order, so a reader who has seen one of its events finds every write of
// that section queued once settle returns, and flush then waits for them.
// The lock is never held across I/O, so this wait is short.
func (s *session) settle() {
	s.mu.Lock()
	s.mu.Unlock() //nolint:staticcheck,gocritic // an empty critical section is the point: a barrier
}
