package store

import "fmt"

// MessagesBefore returns up to limit messages of a session with an id
// below before (every id when before is 0), newest first, and whether
// older ones remain.
func (s *Store) MessagesBefore(sessionID string, before int64, limit int) ([]MessageRow, bool, error) {
	q := `SELECT id, session_id, turn_id, role, content, at FROM messages WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT ?`
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.Query(q, sessionID, before, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("failed to read the transcript of session %s: %w", sessionID, err)
	}
	defer rows.Close()
	out := []MessageRow{}
	for rows.Next() {
		var m MessageRow
		var content []byte
		if err := rows.Scan(&m.ID, &m.SessionID, &m.TurnID, &m.Role, &content, &m.At); err != nil {
			return nil, false, fmt.Errorf("failed to read the transcript of session %s: %w", sessionID, err)
		}
		m.Content = content
		out = append(out, m)
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, rows.Err()
}

// AddMessages appends many transcript entries in one transaction (an
// import, a seeded store), indexing them for search like AddMessage.
func (s *Store) AddMessages(ms []MessageRow) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to begin saving messages: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO messages(session_id, turn_id, role, content, at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("failed to prepare saving messages: %w", err)
	}
	defer ins.Close()
	for _, m := range ms {
		res, err := ins.Exec(m.SessionID, m.TurnID, m.Role, []byte(m.Content), m.At)
		if err != nil {
			return fmt.Errorf("failed to save a message of session %s: %w", m.SessionID, err)
		}
		id, _ := res.LastInsertId()
		if err := indexMessage(tx, id, m); err != nil {
			return fmt.Errorf("failed to index a message of session %s: %w", m.SessionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to commit messages: %w", err)
	}
	return nil
}
