package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The full-text index: one FTS5 table for transcript messages (its rowid is
// the message's id, so newest first is rowid order) and one for kontasks.
// Both hold text Konsole extracted (never HTML), kept in step by AddMessage,
// InsertKontask and UpdateKontask.
const searchSchema = `
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(text, session_id UNINDEXED, at UNINDEXED, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS kontasks_fts USING fts5(text, kontask_id UNINDEXED, session_id UNINDEXED, at UNINDEXED, tokenize='unicode61 remove_diacritics 2');
`

// Snippet markers: a hit's snippet has each matched term between
// HitStart and HitEnd. They are control characters that extracted text
// never holds, so a client splits on them and renders the rest as text.
const (
	HitStart = "\x02"
	HitEnd   = "\x03"
)

// SearchHit is one match of Search.
type SearchHit struct {
	Kind      string `json:"kind"`
	SessionID string `json:"sessionId"`
	MessageID int64  `json:"messageId,omitempty"`
	KontaskID string `json:"kontaskId,omitempty"`
	Snippet   string `json:"snippet"`
	At        string `json:"at"`
}

// markers strips the snippet markers (and other C0 controls but tab and
// newline) from text before it is indexed.
var markers = regexp.MustCompile("[\x00-\x08\x0b-\x1f]")

// MessageText is the searchable text of a message's content blocks: text,
// thinking, tool inputs' strings and tool results' text.
func MessageText(content []byte) string {
	var blocks []map[string]json.RawMessage
	if json.Unmarshal(content, &blocks) != nil {
		return ""
	}
	var b strings.Builder
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(s)
		}
	}
	for _, blk := range blocks {
		var typ string
		// what does not decode adds no words to the index.
		_ = json.Unmarshal(blk["type"], &typ)
		switch typ {
		case "text":
			add(jsonString(blk["text"]))
		case "tool_use":
			var in map[string]any
			_ = json.Unmarshal(blk["input"], &in)
			keys := make([]string, 0, len(in))
			for k := range in {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := in[k].(string); ok {
					add(s)
				}
			}
		case "tool_result":
			c := blk["content"]
			if s := jsonString(c); s != "" {
				add(s)
			} else {
				var parts []struct {
					Type string `json:"type"`
					Text string `json:"text"`
				}
				_ = json.Unmarshal(c, &parts)
				for _, p := range parts {
					add(p.Text)
				}
			}
		}
	}
	return markers.ReplaceAllString(b.String(), " ")
}

func jsonString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

var tags = regexp.MustCompile(`(?s)<(script|style)\b.*?</(script|style)>|<[^>]*>`)

// kontaskText is the searchable text of a kontask's JSON: its title,
// description and the text of its HTML output.
func kontaskText(data []byte) string {
	var k struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		Context     struct {
			Output string `json:"output"`
		} `json:"context"`
	}
	_ = json.Unmarshal(data, &k)
	out := tags.ReplaceAllString(k.Context.Output, " ")
	for _, e := range [][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&#39;", "'"}, {"&nbsp;", " "}, {"&amp;", "&"}} {
		out = strings.ReplaceAll(out, e[0], e[1])
	}
	return markers.ReplaceAllString(k.Title+"\n"+k.Description+"\n"+out, " ")
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

func indexMessage(db execer, id int64, m MessageRow) error {
	if m.Role == "turn" {
		return nil
	}
	text := MessageText(m.Content)
	if text == "" {
		return nil
	}
	_, err := db.Exec(`INSERT INTO messages_fts(rowid, text, session_id, at) VALUES (?, ?, ?, ?)`, id, text, m.SessionID, m.At)
	return err
}

func indexKontask(db execer, r KontaskRow) error {
	if _, err := db.Exec(`DELETE FROM kontasks_fts WHERE kontask_id = ?`, r.ID); err != nil {
		return err
	}
	_, err := db.Exec(`INSERT INTO kontasks_fts(text, kontask_id, session_id, at) VALUES (?, ?, ?, ?)`,
		kontaskText(r.Data), r.ID, r.SessionID, timeText(&r.CreatedAt))
	return err
}

// buildIndex fills the index from the stored rows once, for a database
// written before the index existed.
func (s *Store) buildIndex() error {
	var done int
	err := s.db.QueryRow(`SELECT value FROM meta WHERE key = 'search_index'`).Scan(&done)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("failed to read the search index's state: %w", err)
	}
	if done == 1 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to begin indexing: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM messages_fts`, `DELETE FROM kontasks_fts`} {
		if _, err := tx.Exec(q); err != nil {
			return fmt.Errorf("failed to clear the search index: %w", err)
		}
	}
	var msgs []MessageRow
	rows, err := tx.Query(`SELECT id, session_id, role, content, at FROM messages ORDER BY id`)
	if err != nil {
		return fmt.Errorf("failed to read messages to index: %w", err)
	}
	for rows.Next() {
		var m MessageRow
		var c []byte
		if err := rows.Scan(&m.ID, &m.SessionID, &m.Role, &c, &m.At); err != nil {
			rows.Close()
			return fmt.Errorf("failed to read messages to index: %w", err)
		}
		m.Content = c
		msgs = append(msgs, m)
	}
	rows.Close()
	for _, m := range msgs {
		if err := indexMessage(tx, m.ID, m); err != nil {
			return fmt.Errorf("failed to index message %d: %w", m.ID, err)
		}
	}
	krows, err := tx.Query(`SELECT id, data, session_id, created_at FROM kontasks`)
	if err != nil {
		return fmt.Errorf("failed to read kontasks to index: %w", err)
	}
	var ks [][4]string
	for krows.Next() {
		var k [4]string
		if err := krows.Scan(&k[0], &k[1], &k[2], &k[3]); err != nil {
			krows.Close()
			return fmt.Errorf("failed to read kontasks to index: %w", err)
		}
		ks = append(ks, k)
	}
	krows.Close()
	for _, k := range ks {
		if _, err := tx.Exec(`INSERT INTO kontasks_fts(text, kontask_id, session_id, at) VALUES (?, ?, ?, ?)`,
			kontaskText([]byte(k[1])), k[0], k[2], k[3]); err != nil {
			return fmt.Errorf("failed to index kontask %s: %w", k[0], err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES ('search_index', 1) ON CONFLICT(key) DO UPDATE SET value = 1`); err != nil {
		return fmt.Errorf("failed to record the search index: %w", err)
	}
	return tx.Commit()
}

// MatchQuery turns what a user typed into an FTS5 query: every word must
// occur (each one quoted, so that FTS5's operators are plain text), the
// last one as a prefix. It returns "" when q has no word.
func MatchQuery(q string) string {
	words := strings.Fields(markers.ReplaceAllString(q, " "))
	if len(words) == 0 {
		return ""
	}
	for i, w := range words {
		words[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	words[len(words)-1] += "*"
	return strings.Join(words, " ")
}

// Search finds q in every transcript and kontask, newest first, at most
// limit hits, each with a snippet whose matches are marked with HitStart
// and HitEnd.
func (s *Store) Search(q string, limit int) ([]SearchHit, error) {
	match := MatchQuery(q)
	out := []SearchHit{}
	if match == "" {
		return out, nil
	}
	snippet := `snippet(%s, 0, '` + HitStart + `', '` + HitEnd + `', '…', 16)`
	rows, err := s.db.Query(`SELECT rowid, session_id, at, `+fmt.Sprintf(snippet, "messages_fts")+
		` FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?`, match, limit)
	if err != nil {
		return nil, fmt.Errorf("failed to search messages: %w", err)
	}
	for rows.Next() {
		h := SearchHit{Kind: "message"}
		if err := rows.Scan(&h.MessageID, &h.SessionID, &h.At, &h.Snippet); err != nil {
			rows.Close()
			return nil, fmt.Errorf("failed to search messages: %w", err)
		}
		out = append(out, h)
	}
	rows.Close()
	rows, err = s.db.Query(`SELECT kontask_id, session_id, at, `+fmt.Sprintf(snippet, "kontasks_fts")+
		` FROM kontasks_fts WHERE kontasks_fts MATCH ? ORDER BY at DESC LIMIT ?`, match, limit)
	if err != nil {
		return nil, fmt.Errorf("failed to search kontasks: %w", err)
	}
	for rows.Next() {
		h := SearchHit{Kind: "kontask"}
		if err := rows.Scan(&h.KontaskID, &h.SessionID, &h.At, &h.Snippet); err != nil {
			rows.Close()
			return nil, fmt.Errorf("failed to search kontasks: %w", err)
		}
		out = append(out, h)
	}
	rows.Close()
	sort.SliceStable(out, func(i, j int) bool { return timeOrder(out[i].At) > timeOrder(out[j].At) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// timeOrder makes RFC 3339 times of different precision compare as text:
// the fraction is padded to nine digits.
func timeOrder(at string) string {
	if len(at) < 19 {
		return at
	}
	frac := strings.TrimSuffix(at[19:], "Z")
	frac = strings.TrimPrefix(frac, ".")
	return at[:19] + "." + (frac + "000000000")[:9]
}

// SearchLike is Search's baseline without the index: a LIKE scan of the
// stored message content, newest first, for the benchmarks.
func (s *Store) SearchLike(q string, limit int) (int, error) {
	var n int
	err := s.db.QueryRow(`SELECT COUNT(*) FROM (SELECT id FROM messages WHERE role != 'turn' AND content LIKE ? ORDER BY id DESC LIMIT ?)`,
		"%"+q+"%", limit).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("failed to scan messages: %w", err)
	}
	return n, nil
}
