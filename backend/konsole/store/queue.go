package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// SetBlob stores a small document under key (replacing it).
func (s *Store) SetBlob(key string, data []byte) error {
	if _, err := s.db.Exec(`INSERT INTO blobs(key, data) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET data = excluded.data`, key, data); err != nil {
		return fmt.Errorf("failed to save %s: %w", key, err)
	}
	return nil
}

// Blob returns the document stored under key, or nil.
func (s *Store) Blob(key string) ([]byte, error) {
	var b []byte
	err := s.db.QueryRow(`SELECT data FROM blobs WHERE key = ?`, key).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", key, err)
	}
	return b, nil
}

// QueuedPrompt is a prompt waiting for its session's turn to end.
type QueuedPrompt struct {
	ID              string  `json:"id"`
	SessionID       string  `json:"sessionId"`
	Position        float64 `json:"-"`
	Text            string  `json:"text"`
	ClientMessageID string  `json:"clientMessageId,omitempty"`
	CreatedAt       string  `json:"createdAt"`
}

// Queue returns a session's queued prompts in the order they will be sent.
func (s *Store) Queue(sessionID string) ([]QueuedPrompt, error) {
	rows, err := s.db.Query(`SELECT id, session_id, position, text, client_id, created_at FROM prompt_queue
		WHERE session_id = ? ORDER BY position, created_at`, sessionID)
	if err != nil {
		return nil, fmt.Errorf("failed to read the prompt queue of session %s: %w", sessionID, err)
	}
	defer rows.Close()
	out := []QueuedPrompt{}
	for rows.Next() {
		var q QueuedPrompt
		if err := rows.Scan(&q.ID, &q.SessionID, &q.Position, &q.Text, &q.ClientMessageID, &q.CreatedAt); err != nil {
			return nil, fmt.Errorf("failed to read the prompt queue of session %s: %w", sessionID, err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// QueuedSessions returns the sessions that have queued prompts.
func (s *Store) QueuedSessions() ([]string, error) {
	rows, err := s.db.Query(`SELECT DISTINCT session_id FROM prompt_queue`)
	if err != nil {
		return nil, fmt.Errorf("failed to read the prompt queues: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("failed to read the prompt queues: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SaveQueued inserts or replaces a queued prompt.
func (s *Store) SaveQueued(q QueuedPrompt) error {
	_, err := s.db.Exec(`INSERT INTO prompt_queue(id, session_id, position, text, client_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET position = excluded.position, text = excluded.text`,
		q.ID, q.SessionID, q.Position, q.Text, q.ClientMessageID, q.CreatedAt)
	if err != nil {
		return fmt.Errorf("failed to save a queued prompt of session %s: %w", q.SessionID, err)
	}
	return nil
}

// DeleteQueued removes a queued prompt; it reports whether it was there.
func (s *Store) DeleteQueued(sessionID, id string) (bool, error) {
	res, err := s.db.Exec(`DELETE FROM prompt_queue WHERE session_id = ? AND id = ?`, sessionID, id)
	if err != nil {
		return false, fmt.Errorf("failed to remove a queued prompt of session %s: %w", sessionID, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// ClearQueue removes every queued prompt of a session.
func (s *Store) ClearQueue(sessionID string) error {
	if _, err := s.db.Exec(`DELETE FROM prompt_queue WHERE session_id = ?`, sessionID); err != nil {
		return fmt.Errorf("failed to clear the prompt queue of session %s: %w", sessionID, err)
	}
	return nil
}
