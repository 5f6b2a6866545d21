// Plans (ExitPlanMode) and questions (AskUserQuestion): what they show and
// how their answers are built for the CLI.

package sessions

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/konui/konui/backend/shared/apierror"
)

// planTools are the tool names whose permission request is a plan.
const planTool, questionTool = "ExitPlanMode", "AskUserQuestion"

// maxPlanBytes bounds a plan read from the CLI's plan file.
const maxPlanBytes = 256 << 10

// noteToolUse remembers the input of an ExitPlanMode call: the pinned CLI
// asks permission for it with an empty input, while the model's call
// (in the assistant message) carries the plan.
func (s *session) noteToolUse(content json.RawMessage) {
	var blocks []struct {
		Type  string          `json:"type"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	}
	if json.Unmarshal(content, &blocks) != nil {
		return
	}
	for _, b := range blocks {
		if b.Type != "tool_use" || b.Name != planTool || b.ID == "" {
			continue
		}
		if s.planInputs == nil || len(s.planInputs) > 32 {
			s.planInputs = map[string]json.RawMessage{}
		}
		s.planInputs[b.ID] = b.Input
	}
}

// classify fills in what a permission request is shown as and, for a
// plan, the plan: from the model's call, else plan, the newest plan file
// the CLI wrote (read by the pump before it took s.mu), when it was
// written since the turn began. The caller holds s.mu.
func (s *session) classify(p *Permission, plan planFile) {
	switch p.ToolName {
	case questionTool:
		p.Kind = PermissionQuestion
		return
	case planTool:
		p.Kind = PermissionPlan
	default:
		p.Kind = PermissionTool
		return
	}
	var in struct {
		Plan string `json:"plan"`
	}
	if raw, ok := s.planInputs[p.ToolUseID]; ok && json.Unmarshal(raw, &in) == nil && strings.TrimSpace(in.Plan) != "" {
		p.Plan = in.Plan
		return
	}
	if json.Unmarshal(p.Input, &in) == nil && strings.TrimSpace(in.Plan) != "" {
		p.Plan = in.Plan
		return
	}
	since := time.Time{}
	if s.turn != nil {
		since = s.turn.started.Add(-time.Second)
	}
	if plan.path != "" && !plan.at.Before(since) {
		p.Plan, p.PlanFile = plan.text, plan.path
	}
}

// planFile is the newest plan file of the agents' HOME, read without any
// session lock.
type planFile struct {
	path, text string
	at         time.Time
}

// readPlan reads the newest plan file the CLI keeps under its HOME (in
// .claude/plans), for classify.
func (m *Manager) readPlan() planFile {
	return newestPlan(filepath.Join(agentHome(m.cfg.Env), ".claude", "plans"))
}

// agentHome is the HOME the agents run with.
func agentHome(env []string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			return v
		}
	}
	if env == nil {
		if h, err := os.UserHomeDir(); err == nil {
			return h
		}
	}
	return ""
}

// newestPlan returns the newest .md file in dir, its time and its text
// (bounded).
func newestPlan(dir string) planFile {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return planFile{}
	}
	var best string
	var bestAt time.Time
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".md") {
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.ModTime().After(bestAt) {
			continue
		}
		best, bestAt = filepath.Join(dir, e.Name()), fi.ModTime()
	}
	if best == "" {
		return planFile{}
	}
	f, err := os.Open(best)
	if err != nil {
		return planFile{}
	}
	defer f.Close()
	b := make([]byte, maxPlanBytes)
	n, _ := f.Read(b)
	return planFile{path: best, text: string(b[:n]), at: bestAt}
}

// answerInput builds the allow answer of a plan or question: the tool
// input to run with and the permission updates that come with it.
func answerInput(p *Permission, a PermissionAnswer) (json.RawMessage, []map[string]any, error) {
	input := p.Input
	var perms []map[string]any
	if a.Mode != "" {
		if p.Kind != PermissionPlan {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "mode answers a plan; request %s asks for %s", p.RequestID, p.ToolName)
		}
		if a.Behavior != "allow" {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "mode comes with behavior \"allow\" (approving the plan)")
		}
		if a.Mode != "acceptEdits" && a.Mode != "default" {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "mode %q is not acceptEdits or default", a.Mode)
		}
		perms = append(perms, map[string]any{"type": "setMode", "mode": a.Mode, "destination": "session"})
	}
	if a.Always {
		if p.Kind != PermissionTool || a.Behavior != "allow" {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "always comes with behavior \"allow\" on a tool request")
		}
		perms = append(perms, addRulesUpdate(p.ToolName))
	}
	if a.Answers != nil {
		if p.Kind != PermissionQuestion {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "answers answer a question; request %s asks for %s", p.RequestID, p.ToolName)
		}
		if a.Behavior != "allow" {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "answers come with behavior \"allow\"")
		}
		var in map[string]json.RawMessage
		var qs struct {
			Questions []struct {
				Question string `json:"question"`
			} `json:"questions"`
		}
		if json.Unmarshal(p.Input, &in) != nil || json.Unmarshal(p.Input, &qs) != nil {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "the question's input cannot be read")
		}
		asked := map[string]bool{}
		for _, q := range qs.Questions {
			asked[q.Question] = true
		}
		for q, ans := range a.Answers {
			if !asked[q] {
				return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "%q is not one of the questions asked", q)
			}
			if strings.TrimSpace(ans) == "" || len(ans) > 4000 {
				return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "the answer to %q must be 1 to 4000 bytes", q)
			}
		}
		if len(a.Answers) == 0 {
			return nil, nil, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "answers is empty: answer at least one question")
		}
		in["answers"], _ = json.Marshal(a.Answers)
		input, _ = json.Marshal(in)
	}
	return input, perms, nil
}

// markParent gives each block of a subagent's message the id of the Task
// call it belongs to ("parentToolUseId"), so that a transcript read back
// over REST nests it as the live events do.
func markParent(content json.RawMessage, parent string) json.RawMessage {
	var blocks []map[string]any
	if json.Unmarshal(content, &blocks) != nil {
		return content
	}
	for _, b := range blocks {
		b["parentToolUseId"] = parent
	}
	out, err := json.Marshal(blocks)
	if err != nil {
		return content
	}
	return out
}
