package bench

import (
	"sync"

	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/store"
)

// memoryEvents is a eventlog.EventStore that keeps events in memory only.
// Konsole itself always uses SQLite; this is the baseline the benchmarks
// compare the durable log against.
type memoryEvents struct {
	mu    sync.Mutex
	rows  []store.EventRow
	floor int64
}

var _ eventlog.EventStore = (*memoryEvents)(nil)

// AppendEvents implements eventlog.EventStore.
func (m *memoryEvents) AppendEvents(rows []store.EventRow) error {
	m.mu.Lock()
	m.rows = append(m.rows, rows...)
	m.mu.Unlock()
	return nil
}

// EventsAfter implements eventlog.EventStore.
func (m *memoryEvents) EventsAfter(since, upto int64, limit int) ([]store.EventRow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.EventRow
	for _, r := range m.rows {
		if r.ID > since && r.ID <= upto && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

// LastEventID implements eventlog.EventStore.
func (m *memoryEvents) LastEventID() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.rows) == 0 {
		return m.floor, nil
	}
	return m.rows[len(m.rows)-1].ID, nil
}

// EventFloor implements eventlog.EventStore.
func (m *memoryEvents) EventFloor() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.floor, nil
}

// TrimEvents implements eventlog.EventStore.
func (m *memoryEvents) TrimEvents(last, keep int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	floor := last - keep
	if floor <= m.floor {
		return m.floor, nil
	}
	i := 0
	for i < len(m.rows) && m.rows[i].ID <= floor {
		i++
	}
	m.rows = append([]store.EventRow(nil), m.rows[i:]...)
	m.floor = floor
	return floor, nil
}

// EventBytes implements konsole's optional byte-bounded store.
func (m *memoryEvents) EventBytes() (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, r := range m.rows {
		n += int64(len(r.Line))
	}
	return n, nil
}

// TrimEventsToBytes implements konsole's optional byte-bounded store.
func (m *memoryEvents) TrimEventsToBytes(maxBytes int64) (floor, kept int64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := len(m.rows)
	for i > 0 && kept+int64(len(m.rows[i-1].Line)) <= maxBytes {
		i--
		kept += int64(len(m.rows[i].Line))
	}
	if i > 0 {
		m.floor = max(m.floor, m.rows[i-1].ID)
		m.rows = append([]store.EventRow(nil), m.rows[i:]...)
	}
	return m.floor, kept, nil
}
