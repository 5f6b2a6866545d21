package sessions

import (
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/apierror"
	"net/http"
	"slices"
)

// Session rules: "Always allow <tool> in this session" (an answer with
// always). Konsole keeps the list; the CLI keeps the rules (permission
// update addRules, destination session) for the life of its process. The
// pinned CLI removes a rule only inside an answer to a request (removeRules),
// and a tool with a rule asks nothing, so removing one ends the session's
// agent process: the next prompt resumes the conversation in a new process,
// and Konsole answers its first request for each remaining tool with allow
// and the rule again, without asking the user.

// maxRules bounds a session's rules.
const maxRules = 64

func addRulesUpdate(tool string) map[string]any {
	return map[string]any{"type": "addRules", "rules": []map[string]any{{"toolName": tool}}, "behavior": "allow", "destination": "session"}
}

// rulesLocked lists the session's rules; the caller holds s.mu.
func (s *session) rulesLocked() []Rule {
	out := make([]Rule, 0, len(s.rules))
	for _, t := range s.rules {
		out = append(out, Rule{ToolName: t, Behavior: "allow", Destination: "session"})
	}
	return out
}

// addRuleLocked remembers an always-allowed tool; the caller holds s.mu.
func (s *session) addRuleLocked(tool string) {
	if slices.Contains(s.rules, tool) || len(s.rules) >= maxRules {
		return
	}
	s.rules = append(s.rules, tool)
	s.emit("", contract.PermissionRules{Rules: s.rulesLocked()})
}

// ruleAllows answers a tool request that a rule covers (the rule is not in
// this process yet: it was started after the rule was made) with allow and
// the rule; the caller holds s.mu.
func (s *session) ruleAllows(p *Permission) bool {
	if p.Kind != PermissionTool || !slices.Contains(s.rules, p.ToolName) || s.proc == nil {
		return false
	}
	if err := s.proc.Allow(p.RequestID, p.Input, []map[string]any{addRulesUpdate(p.ToolName)}); err != nil {
		s.m.lg.Warn("failed to allow a tool by its session rule; asking the user", "session", s.info.ID, "err", err)
		return false
	}
	return true
}

// Rules lists a session's rules.
func (m *Manager) Rules(id string) ([]Rule, error) {
	s, err := m.get(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rulesLocked(), nil
}

// RemoveRule removes a session's rule for tool; the agent process ends
// (see above), so it is refused while a turn runs.
func (m *Manager) RemoveRule(id, tool string) error {
	s, err := m.get(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	i := slices.Index(s.rules, tool)
	if i < 0 {
		s.mu.Unlock()
		return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "this session has no rule for %q", tool)
	}
	if s.turn != nil {
		s.mu.Unlock()
		return apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn is running; remove the rule once it ends (removing it restarts the agent)")
	}
	s.rules = slices.Delete(s.rules, i, i+1)
	running := s.proc != nil
	s.mu.Unlock()
	if running {
		s.end()
	}
	// Said once the old process is gone, so that a client that hears it can
	// prompt at once (a prompt while the process ends is refused).
	s.mu.Lock()
	s.emit("", contract.PermissionRules{Rules: s.rulesLocked()})
	s.mu.Unlock()
	return nil
}
