package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
)

// SessionRow is a stored session: its JSON and the turn that was running
// when it was last saved (empty when none).
type SessionRow struct {
	ID         string
	Data       json.RawMessage
	ActiveTurn string
}

// SaveSession inserts or replaces a session.
func (s *Store) SaveSession(id string, data []byte, activeTurn, createdAt string) error {
	_, err := s.db.Exec(`INSERT INTO sessions(id, data, active_turn, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET data = excluded.data, active_turn = excluded.active_turn`,
		id, data, activeTurn, createdAt)
	if err != nil {
		return fmt.Errorf("failed to save session %s: %w", id, err)
	}
	return nil
}

// Sessions returns every stored session, oldest first.
func (s *Store) Sessions() ([]SessionRow, error) {
	rows, err := s.db.Query(`SELECT id, data, active_turn FROM sessions ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("failed to read sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionRow
	for rows.Next() {
		var r SessionRow
		var data []byte
		if err := rows.Scan(&r.ID, &data, &r.ActiveTurn); err != nil {
			return nil, fmt.Errorf("failed to read sessions: %w", err)
		}
		r.Data = data
		out = append(out, r)
	}
	return out, rows.Err()
}

// MessageRow is one transcript entry.
type MessageRow struct {
	ID        int64           `json:"id"`
	SessionID string          `json:"sessionId"`
	TurnID    string          `json:"turnId,omitempty"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	At        string          `json:"at"`
}

// AddMessage appends a transcript entry and returns its id.
func (s *Store) AddMessage(m MessageRow) (int64, error) {
	tx, err := s.db.Begin()
	if err != nil {
		return 0, fmt.Errorf("failed to save a message of session %s: %w", m.SessionID, err)
	}
	defer tx.Rollback()
	id, err := insertMessage(tx, m)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return 0, fmt.Errorf("failed to save a message of session %s: %w", m.SessionID, err)
	}
	return id, nil
}

// insertMessage writes one transcript entry and its search index row.
func insertMessage(tx *sql.Tx, m MessageRow) (int64, error) {
	res, err := tx.Exec(`INSERT INTO messages(session_id, turn_id, role, content, at) VALUES (?, ?, ?, ?, ?)`,
		m.SessionID, m.TurnID, m.Role, []byte(m.Content), m.At)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, err
	}
	return id, indexMessage(tx, id, m)
}

// Messages returns a session's transcript, oldest first.
func (s *Store) Messages(sessionID string) ([]MessageRow, error) {
	rows, err := s.db.Query(`SELECT id, session_id, turn_id, role, content, at FROM messages WHERE session_id = ? ORDER BY id`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("failed to read the transcript of session %s: %w", sessionID, err)
	}
	return scanMessages(rows, sessionID)
}

// scanMessages reads message rows (id, session_id, turn_id, role, content,
// at) and closes them.
func scanMessages(rows *sql.Rows, sessionID string) ([]MessageRow, error) {
	defer rows.Close()
	out := []MessageRow{}
	for rows.Next() {
		var m MessageRow
		var content []byte
		if err := rows.Scan(&m.ID, &m.SessionID, &m.TurnID, &m.Role, &content, &m.At); err != nil {
			return nil, fmt.Errorf("failed to read the transcript of session %s: %w", sessionID, err)
		}
		m.Content = content
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("failed to read the transcript of session %s: %w", sessionID, err)
	}
	return out, nil
}
