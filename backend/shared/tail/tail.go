// Package tail keeps the last bytes a child process wrote (the agent
// CLI's stderr, ssh's): enough for the sentence that says why it failed,
// never a log that grows without bound.
package tail

import (
	"io"
	"sync"
)

// Buffer keeps the last Max bytes written to it; safe for concurrent use.
type Buffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

var _ io.Writer = (*Buffer)(nil)

// New returns a Buffer that keeps the last max bytes.
func New(max int) *Buffer { return &Buffer{max: max} }

// Write keeps p, dropping the oldest bytes beyond the limit; it never fails.
func (t *Buffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// String is the bytes kept, as they were written.
func (t *Buffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
