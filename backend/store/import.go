package store

import "fmt"

// AddMessages appends transcript entries in one transaction, in order: an
// imported or forked conversation arrives whole or not at all.
func (s *Store) AddMessages(ms []MessageRow) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to begin importing messages: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO messages(session_id, turn_id, role, content, at) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("failed to prepare importing messages: %w", err)
	}
	defer stmt.Close()
	for _, m := range ms {
		if _, err := stmt.Exec(m.SessionID, m.TurnID, m.Role, []byte(m.Content), m.At); err != nil {
			return fmt.Errorf("failed to import a message of session %s: %w", m.SessionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to commit imported messages: %w", err)
	}
	return nil
}
