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
	out, err := scanMessages(rows, sessionID)
	if err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// AddMessages appends many transcript entries in one transaction (an
// import, a seeded store), indexing them for search like AddMessage.
func (s *Store) AddMessages(ms []MessageRow) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to begin saving messages: %w", err)
	}
	defer tx.Rollback()
	for _, m := range ms {
		if _, err := insertMessage(tx, m); err != nil {
			return fmt.Errorf("failed to save a message of session %s: %w", m.SessionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to commit messages: %w", err)
	}
	return nil
}
