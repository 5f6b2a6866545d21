package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotFound is returned when a row does not exist.
var ErrNotFound = errors.New("not found")

// KontaskRow is a stored kontask: its JSON and the columns it is filtered
// and ordered by. CreatedAt is a Time kept in a fixed-width UTC form so
// that text order is time order.
type KontaskRow struct {
	ID        string
	Data      json.RawMessage
	Status    string
	Scope     string
	SessionID string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// timeKey is a sortable text form of a time: fixed width, UTC.
const timeKey = "2006-01-02T15:04:05.000000000Z"

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(timeKey)
}

// InsertKontask stores a new kontask.
func (s *Store) InsertKontask(r KontaskRow) error {
	// data is bound as text: SQLite's JSON functions read a BLOB as JSONB.
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to save kontask %s: %w", r.ID, err)
	}
	defer tx.Rollback()
	_, err = tx.Exec(`INSERT INTO kontasks(id, data, status, scope, session_id, created_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.ID, string(r.Data), r.Status, r.Scope, r.SessionID, timeText(&r.CreatedAt), timeText(r.ReadAt))
	if err == nil {
		err = indexKontask(tx, r)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("failed to save kontask %s: %w", r.ID, err)
	}
	return nil
}

// UpdateKontask replaces a stored kontask's JSON, status and read time.
func (s *Store) UpdateKontask(r KontaskRow) error {
	res, err := s.db.Exec(`UPDATE kontasks SET data = ?, status = ?, read_at = ? WHERE id = ?`,
		string(r.Data), r.Status, timeText(r.ReadAt), r.ID)
	if err != nil {
		return fmt.Errorf("failed to update kontask %s: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Kontask returns the JSON of one kontask, or ErrNotFound.
func (s *Store) Kontask(id string) (json.RawMessage, error) {
	var data string
	err := s.db.QueryRow(`SELECT CAST(data AS TEXT) FROM kontasks WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read kontask %s: %w", id, err)
	}
	return json.RawMessage(data), nil
}

// KontaskQuery selects kontasks. Empty fields do not filter.
type KontaskQuery struct {
	Status, Scope, SessionID, Tag string
	// Q is found, case-insensitively for ASCII letters, in the title or
	// the description.
	Q string
	// Unread, when set, keeps only unread (true) or read (false) kontasks.
	Unread *bool
	// Limit is the page size; After, when set, continues after the last
	// kontask of the previous page (newest first).
	Limit int
	After *KontaskCursor
}

// KontaskCursor is a position in the newest-first order.
type KontaskCursor struct {
	CreatedAt time.Time
	ID        string
}

// KontaskPage is one page of a listing: the kontasks' JSON, how many match
// in all, and the cursor of the last one when more follow.
type KontaskPage struct {
	Kontasks []json.RawMessage
	Total    int
	Next     *KontaskCursor
}

// Kontasks returns a page of kontasks, newest first (ties by id).
func (s *Store) Kontasks(q KontaskQuery) (KontaskPage, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if q.Status != "" {
		add("status = ?", q.Status)
	}
	if q.Scope != "" {
		add("scope = ?", q.Scope)
	}
	if q.SessionID != "" {
		add("session_id = ?", q.SessionID)
	}
	if q.Tag != "" {
		add("EXISTS (SELECT 1 FROM json_each(CAST(data AS TEXT), '$.tags') WHERE value = ?)", q.Tag)
	}
	if q.Q != "" {
		add(`(instr(lower(json_extract(CAST(data AS TEXT), '$.title')), lower(?)) > 0
			OR instr(lower(json_extract(CAST(data AS TEXT), '$.description')), lower(?)) > 0)`, q.Q, q.Q)
	}
	if q.Unread != nil {
		if *q.Unread {
			add("read_at = ''")
		} else {
			add("read_at <> ''")
		}
	}
	filter := ""
	if len(where) > 0 {
		filter = " WHERE " + strings.Join(where, " AND ")
	}
	var page KontaskPage
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM kontasks`+filter, args...).Scan(&page.Total); err != nil {
		return page, fmt.Errorf("failed to count kontasks: %w", err)
	}
	if q.After != nil {
		at := timeText(&q.After.CreatedAt)
		add("(created_at < ? OR (created_at = ? AND id < ?))", at, at, q.After.ID)
		filter = " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.Query(`SELECT id, CAST(data AS TEXT), created_at FROM kontasks`+filter+
		` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return page, fmt.Errorf("failed to list kontasks: %w", err)
	}
	defer rows.Close()
	page.Kontasks = []json.RawMessage{}
	var last KontaskCursor
	for rows.Next() {
		var id, data, created string
		if err := rows.Scan(&id, &data, &created); err != nil {
			return page, fmt.Errorf("failed to list kontasks: %w", err)
		}
		if len(page.Kontasks) == limit {
			page.Next = &last
			break
		}
		t, err := time.Parse(timeKey, created)
		if err != nil {
			return page, fmt.Errorf("kontask %s has a bad created_at %q: %w", id, created, err)
		}
		last = KontaskCursor{CreatedAt: t, ID: id}
		page.Kontasks = append(page.Kontasks, json.RawMessage(data))
	}
	return page, rows.Err()
}
