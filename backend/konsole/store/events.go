package store

import (
	"context"
	"database/sql"
	"fmt"
)

// EventRow is one stored event: its id, type, session and the exact JSON
// line that the event stream sends as data.
type EventRow struct {
	ID        int64
	Type      string
	SessionID string
	TurnID    string
	Line      []byte
}

// AppendEvents writes a batch of events in one transaction, on the
// connection kept for events with its prepared INSERT.
func (s *Store) AppendEvents(rows []EventRow) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ctx := context.Background()
	if _, err := s.wconn.ExecContext(ctx, "BEGIN"); err != nil {
		return fmt.Errorf("failed to begin writing events: %w", err)
	}
	size := 0
	for _, r := range rows {
		size += len(r.Line)
		if _, err := s.insert.ExecContext(ctx, r.ID, r.Type, r.SessionID, r.TurnID, r.Line); err != nil {
			s.rollback()
			return fmt.Errorf("failed to write event %d: %w", r.ID, err)
		}
	}
	if _, err := s.wconn.ExecContext(ctx, "COMMIT"); err != nil {
		s.rollback()
		return fmt.Errorf("failed to commit events: %w", err)
	}
	s.ckpt.wrote(len(rows), size)
	return nil
}

// rollback ends a failed transaction of the event connection; SQLite may
// have rolled it back already, which makes this a harmless error.
func (s *Store) rollback() {
	_, _ = s.wconn.ExecContext(context.Background(), "ROLLBACK")
}

// EventsAfter returns up to limit events with since < id <= upto, oldest first.
func (s *Store) EventsAfter(since, upto int64, limit int) ([]EventRow, error) {
	rows, err := s.db.Query(`SELECT id, type, session_id, turn_id, line FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`, since, upto, limit)
	if err != nil {
		return nil, fmt.Errorf("failed to read events: %w", err)
	}
	defer rows.Close()
	var out []EventRow
	for rows.Next() {
		var r EventRow
		if err := rows.Scan(&r.ID, &r.Type, &r.SessionID, &r.TurnID, &r.Line); err != nil {
			return nil, fmt.Errorf("failed to read events: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastEventID returns the highest event id ever written (0 when none).
func (s *Store) LastEventID() (int64, error) {
	var max sql.NullInt64
	if err := s.db.QueryRow(`SELECT MAX(id) FROM events`).Scan(&max); err != nil {
		return 0, fmt.Errorf("failed to read the last event id: %w", err)
	}
	floor, err := s.EventFloor()
	if err != nil {
		return 0, err
	}
	if max.Int64 < floor {
		return floor, nil
	}
	return max.Int64, nil
}

// EventFloor returns the highest id that was trimmed away: a replay from an
// id below it has a gap.
func (s *Store) EventFloor() (int64, error) {
	var v int64
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'event_floor'`).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("failed to read the event floor: %w", err)
	}
	return v, nil
}

// TrimEvents deletes the oldest events so that at most keep remain below
// and including last, and records the new floor.
func (s *Store) TrimEvents(last, keep int64) (floor int64, err error) {
	floor = last - keep
	if floor <= 0 {
		return s.EventFloor()
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, fmt.Errorf("failed to begin trimming events: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM events WHERE id <= ?`, floor); err != nil {
		return 0, fmt.Errorf("failed to trim events: %w", err)
	}
	if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES ('event_floor', ?)
		ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)`, floor); err != nil {
		return 0, fmt.Errorf("failed to record the event floor: %w", err)
	}
	return floor, tx.Commit()
}

// EventBytes returns the size of the event lines kept.
func (s *Store) EventBytes() (int64, error) {
	var n sql.NullInt64
	if err := s.db.QueryRow(`SELECT SUM(length(line)) FROM events`).Scan(&n); err != nil {
		return 0, fmt.Errorf("failed to measure the events: %w", err)
	}
	return n.Int64, nil
}

// TrimEventsToBytes deletes the oldest events so that the lines of those
// kept add up to at most maxBytes, records the new floor, and returns it
// with the size kept.
func (s *Store) TrimEventsToBytes(maxBytes int64) (floor, kept int64, err error) {
	var cut sql.NullInt64
	err = s.db.QueryRow(`SELECT id FROM (SELECT id, SUM(length(line)) OVER (ORDER BY id DESC ROWS UNBOUNDED PRECEDING) AS acc FROM events)
		WHERE acc > ? ORDER BY id DESC LIMIT 1`, maxBytes).Scan(&cut)
	if err == sql.ErrNoRows || (err == nil && !cut.Valid) {
		floor, err := s.EventFloor()
		if err != nil {
			return 0, 0, err
		}
		kept, err := s.EventBytes()
		return floor, kept, err
	}
	if err != nil {
		return 0, 0, fmt.Errorf("failed to find where to trim events: %w", err)
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, 0, fmt.Errorf("failed to begin trimming events: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM events WHERE id <= ?`, cut.Int64); err != nil {
		return 0, 0, fmt.Errorf("failed to trim events: %w", err)
	}
	if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES ('event_floor', ?)
		ON CONFLICT(key) DO UPDATE SET value = MAX(value, excluded.value)`, cut.Int64); err != nil {
		return 0, 0, fmt.Errorf("failed to record the event floor: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("failed to trim events: %w", err)
	}
	kept, err = s.EventBytes()
	return cut.Int64, kept, err
}
