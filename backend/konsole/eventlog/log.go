package eventlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/konui/konui/backend/konsole/store"
)

const (
	subscriberBuffer  = 8192
	defaultKeepEvents = 100_000
	// DefaultKeepEventBytes is how many bytes of event lines are kept for
	// replay at most, whatever their count: it bounds the database and
	// what a client resuming from the oldest event is sent.
	DefaultKeepEventBytes = 128 << 20
	replayPage            = 1000
	persistRetryInterval  = 500 * time.Millisecond
	defaultCloseGrace     = 5 * time.Second
	trimEveryAppendedRows = 1000
)

// EventStore is what the Log needs from durable storage; *store.Store
// implements it (the benchmarks add an in-memory baseline).
type EventStore interface {
	AppendEvents([]store.EventRow) error
	EventsAfter(since, upto int64, limit int) ([]store.EventRow, error)
	LastEventID() (int64, error)
	EventFloor() (int64, error)
	TrimEvents(last, keep int64) (int64, error)
}

var _ EventStore = (*store.Store)(nil)

// byteStore is an EventStore that can also be trimmed by size; the Log
// bounds its events in bytes when its store is one.
type byteStore interface {
	EventBytes() (int64, error)
	TrimEventsToBytes(maxBytes int64) (floor, kept int64, err error)
}

var _ byteStore = (*store.Store)(nil)

// Log assigns event ids, writes events durably in batches from one writer
// goroutine, and publishes each batch to subscribers once it is committed,
// so that a replay from the store and the live feed never disagree.
// The caller should call Close.
type Log struct {
	st        EventStore
	keep      int64
	keepBytes int64
	log       *slog.Logger

	mu        sync.Mutex
	next      int64
	queue     []store.EventRow
	committed int64
	floor     int64
	bytes     int64 // size of the event lines kept, for keepBytes
	subs      map[*Subscription]struct{}
	closed    bool
	// failing is the error of the last write when it failed: until a write
	// succeeds again Append refuses new events (see Failing).
	failing error
	flushed *sync.Cond

	// closeGrace bounds how long Close keeps retrying a failing store;
	// giveUp is closed when it has passed.
	closeGrace time.Duration
	giveUp     chan struct{}
	wake       chan struct{}
	done       chan struct{}
}

// NewLog opens the log over st, keeping at least keep events for replay
// (a default when keep <= 0). It is the constructor for tests and
// benchmarks (this package's and backend/testkit/bench's); servers use NewLogBytes,
// which bounds the log's bytes too.
func NewLog(st EventStore, keep int64, logger *slog.Logger) (*Log, error) {
	return NewLogBytes(st, keep, 0, logger)
}

// NewLogBytes is NewLog that also keeps at most keepBytes bytes of event
// lines (DefaultKeepEventBytes when keepBytes <= 0) when st can be trimmed
// by size: the oldest go first, as when the count is over.
func NewLogBytes(st EventStore, keep, keepBytes int64, logger *slog.Logger) (*Log, error) {
	if keep <= 0 {
		keep = defaultKeepEvents
	}
	if keepBytes <= 0 {
		keepBytes = DefaultKeepEventBytes
	}
	if logger == nil {
		logger = slog.Default()
	}
	last, err := st.LastEventID()
	if err != nil {
		return nil, err
	}
	floor, err := st.EventFloor()
	if err != nil {
		return nil, err
	}
	var size int64
	if bs, ok := st.(byteStore); ok {
		if size, err = bs.EventBytes(); err != nil {
			return nil, err
		}
	}
	l := &Log{st: st, keep: keep, keepBytes: keepBytes, bytes: size, log: logger, next: last + 1, committed: last, floor: floor,
		subs: map[*Subscription]struct{}{}, closeGrace: defaultCloseGrace, giveUp: make(chan struct{}),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	l.flushed = sync.NewCond(&l.mu)
	go l.writer()
	return l, nil
}

// Append queues an event and returns it with its id. It does not wait for
// the write: subscribers see the event once it is committed.
func (l *Log) Append(typ, sessionID, turnID string, data any) (Event, error) {
	raw, err := encodeLine(data)
	if err != nil {
		return Event{}, fmt.Errorf("failed to encode %s event: %w", typ, err)
	}
	ev := Event{Type: typ, SessionID: sessionID, TurnID: turnID, At: time.Now().UTC(), Data: raw}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return Event{}, fmt.Errorf("failed to append %s event: the log is closed", typ)
	}
	if l.failing != nil {
		err := l.failing
		l.mu.Unlock()
		return Event{}, fmt.Errorf("failed to append %s event: %w: %w", typ, ErrStorage, err)
	}
	ev.ID = l.next
	line, err := encodeLine(ev)
	if err != nil {
		l.mu.Unlock()
		return Event{}, fmt.Errorf("failed to encode %s event: %w", typ, err)
	}
	l.next++
	l.queue = append(l.queue, store.EventRow{ID: ev.ID, Type: typ, SessionID: sessionID, TurnID: turnID, Line: line})
	// Under mu, so that Close (which closes wake after setting closed) cannot
	// close it between the check above and this send.
	select {
	case l.wake <- struct{}{}:
	default:
	}
	l.mu.Unlock()
	return ev, nil
}

// encodeLine encodes v as one JSON line without escaping <, > and & as
// \u003c...: the stream is no HTML, and the escapes made an agent's output
// of '<' six times its size in every event, store and client.
func encodeLine(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Flush waits until every event appended so far is committed and published.
func (l *Log) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := l.next - 1
	for l.committed < target && !l.closed {
		l.flushed.Wait()
	}
}

// ErrStorage marks an event refused because the log cannot be written.
var ErrStorage = errors.New("the event log cannot be written")

// Failing returns the error of the last write if it failed, nil once a
// write succeeded. While it is set Append refuses events; the events it
// accepted before are kept in memory and retried until they are written.
func (l *Log) Failing() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failing
}

// LastID returns the id of the newest committed event.
func (l *Log) LastID() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.committed
}

// Close refuses new events, writes what is queued, ends every subscription
// and stops the writer. While the store fails it retries for a bounded time
// (five seconds), then logs what it could not write and returns.
func (l *Log) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		<-l.done
		return
	}
	l.closed = true
	l.flushed.Broadcast()
	l.mu.Unlock()
	close(l.wake)
	select {
	case <-l.done:
	case <-time.After(l.closeGrace):
		close(l.giveUp)
		<-l.done
	}
}

// EndSubscriptions ends every current subscription (their streams close)
// while the log goes on; used when the server shuts down.
func (l *Log) EndSubscriptions() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs {
		delete(l.subs, s)
		s.end()
	}
}

func (l *Log) writer() {
	defer close(l.done)
	defer l.endAll()
	sinceTrim := 0
	for range l.wake {
		for {
			l.mu.Lock()
			batch := l.queue
			l.queue = nil
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			if !l.persist(batch) {
				return
			}
			l.publish(batch)
			if sinceTrim += len(batch); sinceTrim >= trimEveryAppendedRows || l.overBytes() {
				sinceTrim = 0
				l.trim()
			}
		}
	}
}

// persist writes batch, retrying while the store fails. It returns false
// when Close gave up first; what was not written is then logged.
func (l *Log) persist(batch []store.EventRow) bool {
	for {
		err := l.st.AppendEvents(batch)
		l.mu.Lock()
		wasFailing := l.failing != nil
		l.failing = err
		l.mu.Unlock()
		if err == nil {
			if wasFailing {
				l.log.Warn("the event log is written again", "count", len(batch))
			}
			return true
		}
		if !wasFailing {
			l.log.Error("failed to write events; refusing new ones and retrying", "err", err, "count", len(batch))
		}
		select {
		case <-time.After(persistRetryInterval):
		case <-l.giveUp:
			l.mu.Lock()
			lost := append(batch, l.queue...)
			l.queue = nil
			l.mu.Unlock()
			types := map[string]int{}
			for _, r := range lost {
				types[r.Type]++
			}
			l.log.Error("failed to write events before the log closed; they are lost", "err", err,
				"count", len(lost), "firstId", lost[0].ID, "lastId", lost[len(lost)-1].ID, "types", types)
			return false
		}
	}
}

// endAll ends every subscription once the writer stops.
func (l *Log) endAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := range l.subs {
		s.end()
	}
	l.subs = nil
	l.flushed.Broadcast()
}

func (l *Log) publish(batch []store.EventRow) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.committed = batch[len(batch)-1].ID
	for _, r := range batch {
		l.bytes += int64(len(r.Line))
	}
	for s := range l.subs {
		for _, r := range batch {
			select {
			case s.ch <- r:
				continue
			default:
			}
			// A subscriber this far behind is never waited for: it misses the
			// rest of the batch here and reads it back from the store.
			s.markLagged()
			break
		}
	}
	l.flushed.Broadcast()
}

func (l *Log) overBytes() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes > l.keepBytes
}

// trimBytes trims to three quarters of keepBytes, so that a log at its
// budget is not trimmed again on every batch.
func (l *Log) trimBytes() {
	bs, ok := l.st.(byteStore)
	if !ok || !l.overBytes() {
		return
	}
	floor, kept, err := bs.TrimEventsToBytes(l.keepBytes / 4 * 3)
	if err != nil {
		l.log.Error("failed to trim the event log to its size", "err", err)
		return
	}
	l.mu.Lock()
	l.floor, l.bytes = max(l.floor, floor), kept
	l.mu.Unlock()
}

func (l *Log) trim() {
	defer l.trimBytes()
	l.mu.Lock()
	last := l.committed
	l.mu.Unlock()
	if last-l.keep <= l.floorNow() {
		return
	}
	floor, err := l.st.TrimEvents(last, l.keep)
	if err != nil {
		l.log.Error("failed to trim the event log", "err", err)
		return
	}
	var size int64
	if bs, ok := l.st.(byteStore); ok {
		size, _ = bs.EventBytes()
	}
	l.mu.Lock()
	l.floor = floor
	if size > 0 {
		l.bytes = size
	}
	l.mu.Unlock()
}

func (l *Log) floorNow() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.floor
}
