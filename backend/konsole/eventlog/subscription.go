package eventlog

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/konui/konui/backend/konsole/store"
)

// Subscription is a reader of the log: a replay of stored events after an
// id, then live ones. The caller should call Close.
type Subscription struct {
	l     *Log
	ch    chan store.EventRow
	since int64
	upto  int64
	reset bool

	lag    chan struct{}
	lagged atomic.Bool

	endMu sync.Mutex
	ended bool
}

// Subscribe starts reading after since. With since < 0 only new events are
// delivered. Reset reports that since is older than what is kept (or newer
// than anything written): the reader must refetch state and gets only new events.
func (l *Log) Subscribe(since int64) (*Subscription, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("failed to subscribe: the log is closed")
	}
	s := &Subscription{l: l, ch: make(chan store.EventRow, subscriberBuffer), lag: make(chan struct{}, 1), upto: l.committed}
	switch {
	case since < 0:
		s.since = l.committed
	case since < l.floor || since > l.committed:
		s.reset, s.since = true, l.committed
	default:
		s.since = since
	}
	l.subs[s] = struct{}{}
	return s, nil
}

// Reset tells whether the requested id could not be replayed.
func (s *Subscription) Reset() bool { return s.reset }

// Replay calls f for each stored event after the requested id that was
// committed before Subscribe, in order, and returns the last id it passed.
func (s *Subscription) Replay(f func(store.EventRow) error) (int64, error) {
	last := s.since
	for last < s.upto {
		rows, err := s.l.st.EventsAfter(last, s.upto, replayPage)
		if err != nil {
			return last, err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if err := f(r); err != nil {
				return last, err
			}
			last = r.ID
		}
	}
	return last, nil
}

// C delivers live events; events already replayed may come again and must
// be skipped by id; a gap in ids means some were dropped (see Lagged). It is
// closed when the subscription ends.
func (s *Subscription) C() <-chan store.EventRow { return s.ch }

// Lagged signals that live events were dropped for this subscriber because
// it fell behind: the reader catches up with CatchUp. Any live event whose
// id is not the next one tells the same.
func (s *Subscription) Lagged() <-chan struct{} { return s.lag }

// HasLagged tells whether the subscriber ever fell behind.
func (s *Subscription) HasLagged() bool { return s.lagged.Load() }

func (s *Subscription) markLagged() {
	s.lagged.Store(true)
	select {
	case s.lag <- struct{}{}:
	default:
	}
}

// CatchUp reads from the store every committed event after last up to upto
// (every committed one when upto <= 0), in order, and returns the last id
// passed to f. reset reports that events after last are no longer kept:
// the reader must refetch state; last then jumps to the newest event.
func (s *Subscription) CatchUp(last, upto int64, f func(store.EventRow) error) (newLast int64, reset bool, err error) {
	s.l.mu.Lock()
	floor, committed := s.l.floor, s.l.committed
	s.l.mu.Unlock()
	if upto <= 0 || upto > committed {
		upto = committed
	}
	if last < floor {
		return committed, true, nil
	}
	for last < upto {
		rows, err := s.l.st.EventsAfter(last, upto, replayPage)
		if err != nil {
			return last, false, err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if err := f(r); err != nil {
				return last, false, err
			}
			last = r.ID
		}
	}
	return last, false, nil
}

// Close ends the subscription; it is safe to call more than once.
func (s *Subscription) Close() {
	s.l.mu.Lock()
	defer s.l.mu.Unlock()
	if s.l.subs != nil {
		delete(s.l.subs, s)
	}
	s.end()
}

func (s *Subscription) end() {
	s.endMu.Lock()
	defer s.endMu.Unlock()
	if s.ended {
		return
	}
	s.ended = true
	close(s.ch)
}
