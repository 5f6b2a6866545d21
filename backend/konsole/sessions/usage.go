package sessions

import (
	"time"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/history"
	"github.com/konui/konui/backend/konsole/store"
)

// noteContext takes the token count of the request behind an assistant
// message: what the model's context held then. The caller holds s.mu.
func (s *session) noteContext(u *claude.APIUsage) {
	if u == nil {
		return
	}
	if n := u.InputTokens + u.CacheReadTokens + u.CacheCreationTokens + u.OutputTokens; n > 0 {
		su := s.usage()
		su.ContextTokens = n
	}
}

// usage gives the session a Usage of its own to change: a copy, since
// published snapshots (snapshot) share the one they were taken with. The
// caller holds s.mu.
func (s *session) usage() *SessionUsage {
	su := &SessionUsage{}
	if s.info.Usage != nil {
		*su = *s.info.Usage
	}
	s.info.Usage = su
	return su
}

// recordUsage adds a finished turn's tokens and cost to the session and
// the store, and returns the usage field of its turn.completed. The
// caller holds s.mu.
func (s *session) recordUsage(t *turn, r *claude.Result, cost float64) TurnUsage {
	u, window := r.TurnUsage()
	tu := TurnUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadTokens: u.CacheReadTokens, CacheWriteTokens: u.CacheCreationTokens}
	su := s.usage()
	su.InputTokens += tu.InputTokens
	su.OutputTokens += tu.OutputTokens
	su.CacheReadTokens += tu.CacheReadTokens
	su.CacheWriteTokens += tu.CacheWriteTokens
	su.Turns++
	if window > 0 {
		su.ContextWindow = window
	}
	row := store.TurnUsage{TurnID: t.id, SessionID: s.info.ID, At: time.Now(), CostUSD: cost,
		InputTokens: tu.InputTokens, OutputTokens: tu.OutputTokens, CacheReadTokens: tu.CacheReadTokens, CacheWriteTokens: tu.CacheWriteTokens,
		DurationMs: time.Since(t.started).Milliseconds()}
	s.w.do(func() {
		if err := s.m.st.RecordUsage(row); err != nil {
			s.m.lg.Error("failed to record a turn's usage", "session", row.SessionID, "err", err)
		}
	})
	return tu
}

// costBaseline is the total_cost_usd a CLI started with --resume=agentID
// counts from. The CLI's total_cost_usd is not the process's: a CLI that
// resumes a conversation, with or without --fork-session, starts it at
// what the conversation had cost when its last process exited (the
// cost-state entry that process appended to the conversation's file), and
// a fresh one at 0. Each turn is charged what the total grew by since the
// previous result, or since this baseline for a process's first.
func (m *Manager) costBaseline(agentID string) float64 {
	if agentID == "" {
		return 0
	}
	cost, _, err := history.Cost(m.AgentHome(), agentID)
	if err != nil {
		m.lg.Warn("failed to read what the conversation has cost so far; its next turn may be charged its earlier ones", "conversation", agentID, "err", err)
	}
	return cost
}
