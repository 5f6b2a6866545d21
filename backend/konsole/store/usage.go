package store

import (
	"fmt"
	"time"
)

const usageSchema = `
CREATE TABLE IF NOT EXISTS turn_usage (
	turn_id      TEXT PRIMARY KEY,
	session_id   TEXT NOT NULL,
	at           TEXT NOT NULL,
	cost_usd     REAL NOT NULL DEFAULT 0,
	input_tokens INTEGER NOT NULL DEFAULT 0,
	output_tokens INTEGER NOT NULL DEFAULT 0,
	cache_read_tokens INTEGER NOT NULL DEFAULT 0,
	cache_write_tokens INTEGER NOT NULL DEFAULT 0,
	duration_ms  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS turn_usage_by_at ON turn_usage(at);
`

// TurnUsage is what one turn used: its tokens, cost and duration. At is
// when it ended (UTC).
type TurnUsage struct {
	TurnID           string
	SessionID        string
	At               time.Time
	CostUSD          float64
	InputTokens      int64
	OutputTokens     int64
	CacheReadTokens  int64
	CacheWriteTokens int64
	DurationMs       int64
}

// UsageRow is one group of Usage: a day (YYYY-MM-DD, UTC) or a session id.
type UsageRow struct {
	Key              string  `json:"key"`
	CostUSD          float64 `json:"costUsd"`
	InputTokens      int64   `json:"inputTokens"`
	OutputTokens     int64   `json:"outputTokens"`
	CacheReadTokens  int64   `json:"cacheReadTokens"`
	CacheWriteTokens int64   `json:"cacheWriteTokens"`
	Turns            int64   `json:"turns"`
}

// RecordUsage stores a turn's usage (replacing an earlier record of it).
func (s *Store) RecordUsage(u TurnUsage) error {
	_, err := s.db.Exec(`INSERT INTO turn_usage(turn_id, session_id, at, cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, duration_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(turn_id) DO UPDATE SET at = excluded.at, cost_usd = excluded.cost_usd, input_tokens = excluded.input_tokens,
		output_tokens = excluded.output_tokens, cache_read_tokens = excluded.cache_read_tokens,
		cache_write_tokens = excluded.cache_write_tokens, duration_ms = excluded.duration_ms`,
		u.TurnID, u.SessionID, u.At.UTC().Format(timeKey), u.CostUSD, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.CacheWriteTokens, u.DurationMs)
	if err != nil {
		return fmt.Errorf("failed to record the usage of turn %s: %w", u.TurnID, err)
	}
	return nil
}

// Usage sums the turns that ended in [from, to) by day (UTC) or by
// session, in key order.
func (s *Store) Usage(from, to time.Time, bySession bool) ([]UsageRow, error) {
	key := `substr(at, 1, 10)`
	if bySession {
		key = `session_id`
	}
	rows, err := s.db.Query(`SELECT `+key+` AS k, SUM(cost_usd), SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens), COUNT(*)
		FROM turn_usage WHERE at >= ? AND at < ? GROUP BY k ORDER BY k`, from.UTC().Format(timeKey), to.UTC().Format(timeKey))
	if err != nil {
		return nil, fmt.Errorf("failed to read usage: %w", err)
	}
	defer rows.Close()
	out := []UsageRow{}
	for rows.Next() {
		var r UsageRow
		if err := rows.Scan(&r.Key, &r.CostUSD, &r.InputTokens, &r.OutputTokens, &r.CacheReadTokens, &r.CacheWriteTokens, &r.Turns); err != nil {
			return nil, fmt.Errorf("failed to read usage: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
