// Package fakeclock is a clock.Clock that a test moves by hand: Advance
// delivers each due tick and returns once the ticker's owner has taken it,
// so a test knows the code under it has seen the time it stands for.
package fakeclock

import (
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/shared/clock"
)

// Clock is a fake clock.Clock; make one with New.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	tickers map[*ticker]struct{}
	// changed is closed (and replaced) whenever a ticker starts or stops.
	changed chan struct{}
}

var _ clock.Clock = (*Clock)(nil)

// New returns a clock that stands at start until Advance.
func New(start time.Time) *Clock {
	return &Clock{now: start, tickers: map[*ticker]struct{}{}, changed: make(chan struct{})}
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

type ticker struct {
	c        *Clock
	period   time.Duration
	next     time.Time
	ch       chan time.Time
	stopped  chan struct{}
	stopOnce sync.Once
}

// NewTicker makes a ticker whose first tick is one period from now.
func (c *Clock) NewTicker(d time.Duration) clock.Ticker {
	if d <= 0 {
		panic("fakeclock: non-positive ticker period")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &ticker{c: c, period: d, next: c.now.Add(d), ch: make(chan time.Time), stopped: make(chan struct{})}
	c.tickers[t] = struct{}{}
	c.changedLocked()
	return t
}

func (t *ticker) C() <-chan time.Time { return t.ch }

func (t *ticker) Stop() {
	t.stopOnce.Do(func() {
		close(t.stopped)
		t.c.mu.Lock()
		delete(t.c.tickers, t)
		t.c.changedLocked()
		t.c.mu.Unlock()
	})
}

func (c *Clock) changedLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock by d. Each ticker that falls due gets one tick,
// of its latest due time (as a real ticker, it drops the ticks its owner
// was too slow for); Advance returns once every such tick was taken, or
// its ticker stopped. Owners must not call Advance themselves.
func (c *Clock) Advance(d time.Duration) {
	type due struct {
		t  *ticker
		at time.Time
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	var all []due
	for t := range c.tickers {
		if t.next.After(c.now) {
			continue
		}
		at := t.next
		for !t.next.After(c.now) {
			at = t.next
			t.next = t.next.Add(t.period)
		}
		all = append(all, due{t, at})
	}
	c.mu.Unlock()
	// Handed over without the lock: the owner may read Now or stop a
	// ticker while it takes its tick.
	for _, d := range all {
		select {
		case d.t.ch <- d.at:
		case <-d.t.stopped:
		}
	}
}

// Tickers is the number of tickers running.
func (c *Clock) Tickers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.tickers)
}

// WaitTickers waits until exactly n tickers are running (their owners
// started, or stopped), failing t after a minute.
func (c *Clock) WaitTickers(t testing.TB, n int) {
	t.Helper()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		got, changed := len(c.tickers), c.changed
		c.mu.Unlock()
		if got == n {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("fakeclock: %d tickers running after a minute, want %d", got, n)
		}
	}
}
