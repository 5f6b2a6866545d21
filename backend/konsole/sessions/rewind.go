package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/checkpoint"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// The wire shapes of a rewind are the contract's (backend/contract/rewind.go).
type (
	Checkpoint          = contract.Checkpoint
	RewindRequest       = contract.RewindRequest
	RewindResult        = contract.RewindResult
	RewoundFile         = contract.RewoundFile
	RewoundConversation = contract.RewoundConversation
)

// roleRewind is the role of the transcript's mark of a rewind: the dashboard draws the
// turns from MessageID to it dimmed, under a "Rewound to here" divider.
const roleRewind = "rewind"

// Checkpoints lists the prompts of session id that have a checkpoint,
// oldest first, each with what changed in the folder from it to now.
func (m *Manager) Checkpoints(id string) ([]Checkpoint, error) {
	s, err := m.get(id)
	if err != nil {
		return nil, err
	}
	info := s.snapshot()
	rows, err := m.Messages(id)
	if err != nil {
		return nil, err
	}
	out := []Checkpoint{}
	if m.ckpt == nil {
		return out, nil
	}
	ctx, cancel := context.WithTimeout(m.ckptCtx, checkpointTimeout)
	defer cancel()
	var keys []string
	for _, r := range rows {
		if isPrompt(r.Role, r.Content) && r.TurnID != "" && m.ckpt.Has(id, r.TurnID) {
			out = append(out, Checkpoint{MessageID: r.ID, TurnID: r.TurnID, Prompt: store.MessageText(r.Content), At: r.At})
			keys = append(keys, r.TurnID+".start")
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	stats, err := m.ckpt.Stats(ctx, id, info.Cwd, keys)
	if err != nil {
		return nil, apierror.New(http.StatusInternalServerError, apierror.CodeInternal, "failed to compare the checkpoints with the folder: %v", err)
	}
	for i := range out {
		out[i].Files = contract.CheckpointFiles{Changed: stats[i].Changed, Insertions: stats[i].Insertions, Deletions: stats[i].Deletions}
	}
	return out, nil
}

// Rewind puts session id back to just before one of its prompts: its
// folder (req.Files) and what its agent remembers (req.Conversation). It
// is refused while a turn runs. The transcript keeps everything, with a
// mark where the rewind happened; an applied rewind is told to every
// client (session.rewound).
func (m *Manager) Rewind(id string, req RewindRequest) (RewindResult, error) {
	s, err := m.get(id)
	if err != nil {
		return RewindResult{}, err
	}
	switch {
	case req.MessageID == nil:
		return RewindResult{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "messageId is required: the id of a prompt in GET /v1/sessions/%s/messages", id)
	case !req.Files && !req.Conversation:
		return RewindResult{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "nothing to rewind: set files, conversation or both")
	}
	s.mu.Lock()
	if err := s.rewindable(); err != nil {
		s.mu.Unlock()
		return RewindResult{}, err
	}
	if !req.DryRun {
		s.rewinding = true
		defer func() {
			s.mu.Lock()
			s.rewinding = false
			s.mu.Unlock()
		}()
	}
	s.awaitCheckpoints()
	info := s.info
	s.mu.Unlock()

	rows, err := m.Messages(id)
	if err != nil {
		return RewindResult{}, err
	}
	k := promptRow(rows, *req.MessageID)
	if k < 0 {
		return RewindResult{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "message %d is not a prompt of session %s", *req.MessageID, id)
	}
	res := RewindResult{Files: []RewoundFile{}, Skipped: []contract.SkippedFile{}, MessageID: rows[k].ID, TurnID: rows[k].TurnID}
	var resume *resumePoint
	if req.Conversation {
		res.Conversation.DroppedTurns = droppedTurns(rows, k)
		// Found before anything changes: a prompt that cannot be
		// rewound to changes nothing.
		if resume, err = m.resumeBefore(rows, k); err != nil {
			return RewindResult{}, err
		}
	}
	if req.Files {
		if err := m.rewindFiles(id, info.Cwd, rows[k], req, &res); err != nil {
			return res, err
		}
	}
	if req.DryRun {
		return res, nil
	}
	if req.Conversation {
		if err := s.rewindConversation(*resume); err != nil {
			return res, err
		}
	}
	res.Applied = true
	s.mu.Lock()
	defer s.mu.Unlock()
	mark, _ := json.Marshal([]any{map[string]any{"type": contract.EvSessionRewound, "messageId": res.MessageID, "turnId": res.TurnID,
		"files": req.Files, "conversation": req.Conversation, "droppedTurns": res.Conversation.DroppedTurns}})
	s.addMessage(store.MessageRow{SessionID: id, TurnID: res.TurnID, Role: roleRewind, Content: mark,
		At: time.Now().UTC().Format(time.RFC3339Nano)}, "a rewind")
	s.emit("", contract.SessionRewound(res))
	return res, nil
}

// rewindable refuses a rewind while a turn runs, an agent starts or
// another rewind is under way; the caller holds s.mu.
func (s *session) rewindable() error {
	switch {
	case s.turn != nil || s.launching != nil:
		return apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn is running in this session: stop it or wait for it to end, then rewind")
	case s.rewinding:
		return apierror.New(http.StatusConflict, apierror.CodeConflict, "another rewind of this session is under way")
	}
	return nil
}

// promptRow is the index in rows of the prompt with id messageID, or -1.
func promptRow(rows []store.MessageRow, messageID int64) int {
	for i, r := range rows {
		if r.ID == messageID && isPrompt(r.Role, r.Content) {
			return i
		}
	}
	return -1
}

// droppedTurns counts the prompts at or after rows[k] that the agent's
// conversation still holds: those an earlier rewind of the conversation
// dropped are not counted again.
func droppedTurns(rows []store.MessageRow, k int) int {
	live := map[int64]bool{}
	var order []int64
	for _, r := range rows {
		switch {
		case isPrompt(r.Role, r.Content):
			live[r.ID] = true
			order = append(order, r.ID)
		case r.Role == roleRewind:
			var mark []struct {
				MessageID    int64 `json:"messageId"`
				Conversation bool  `json:"conversation"`
			}
			if json.Unmarshal(r.Content, &mark) == nil && len(mark) == 1 && mark[0].Conversation {
				drop := false
				for _, id := range order {
					drop = drop || id == mark[0].MessageID
					if drop {
						live[id] = false
					}
				}
			}
		}
	}
	n := 0
	for _, r := range rows[k:] {
		if isPrompt(r.Role, r.Content) && live[r.ID] {
			n++
		}
	}
	return n
}

// rewindFiles plans (or applies) the folder's rewind to the checkpoint
// taken before prompt row, into res.
func (m *Manager) rewindFiles(id, cwd string, row store.MessageRow, req RewindRequest, res *RewindResult) error {
	ctx, cancel := context.WithTimeout(m.ckptCtx, checkpointTimeout)
	defer cancel()
	if m.ckpt == nil || row.TurnID == "" || !m.ckpt.Has(id, row.TurnID) {
		return apierror.New(http.StatusConflict, apierror.CodeConflict, "message %d has no checkpoint of the folder (it was sent before Konsole kept them, or its snapshot failed): only the conversation can be rewound to it", row.ID)
	}
	plan, err := m.ckpt.RewindTo(ctx, id, cwd, row.TurnID, req.Overwrite, req.DryRun)
	for _, f := range plan.Files {
		res.Files = append(res.Files, RewoundFile{Path: f.Path, Status: f.Status, Insertions: f.Insertions, Deletions: f.Deletions,
			ChangedOutside: f.ChangedOutside, Restored: f.Restored})
	}
	for _, sk := range plan.Skipped {
		res.Skipped = append(res.Skipped, contract.SkippedFile{Path: sk.Path, Size: sk.Size})
	}
	res.Nested = plan.Nested
	if errors.Is(err, checkpoint.ErrNotFound) {
		return apierror.New(http.StatusConflict, apierror.CodeConflict, "message %d has no checkpoint of the folder", row.ID)
	}
	if err != nil {
		return apierror.New(http.StatusInternalServerError, apierror.CodeInternal, "failed to rewind the folder: %v", err)
	}
	return nil
}

// resumePoint is where the conversation goes on after a rewind: the
// agent session From, kept up to the entry At; the zero value is a new
// conversation (a rewind to the first prompt).
type resumePoint struct{ From, At string }

// resumeBefore finds, in the CLI's record, the entry just before the
// prompt rows[k]: its uuid and conversation, noted at the end of its turn
// (finishTurn), name it there.
func (m *Manager) resumeBefore(rows []store.MessageRow, k int) (*resumePoint, error) {
	uuid, agentID := "", ""
	for _, r := range rows[k:] {
		if r.Role != "turn" || r.TurnID != rows[k].TurnID {
			continue
		}
		var end []struct {
			UUID    string `json:"userMessageUuid"`
			AgentID string `json:"agentSessionId"`
		}
		if json.Unmarshal(r.Content, &end) == nil && len(end) == 1 {
			uuid, agentID = end[0].UUID, end[0].AgentID
		}
		break
	}
	if uuid == "" || agentID == "" {
		return nil, apierror.New(http.StatusConflict, apierror.CodeConflict, "the conversation cannot be rewound to message %d: Konsole did not see the agent take it (the turn did not end, or it ran before Konsole kept rewind points)", rows[k].ID)
	}
	_, msgs, err := m.ReadHistory(agentID)
	if err != nil {
		return nil, err
	}
	prev := ""
	for _, msg := range msgs {
		if msg.UUID == uuid {
			if prev == "" {
				return &resumePoint{}, nil
			}
			return &resumePoint{From: agentID, At: prev}, nil
		}
		if msg.UUID != "" {
			prev = msg.UUID
		}
	}
	return nil, apierror.New(http.StatusConflict, apierror.CodeConflict, "the CLI's record of conversation %q does not hold message %d", agentID, rows[k].ID)
}

// rewindConversation ends the session's agent, so that its next prompt
// starts one that resumes at p (a new conversation for the zero p) with
// a new id (--fork-session): the record of the turns dropped stays as it
// was.
func (s *session) rewindConversation(p resumePoint) error {
	s.mu.Lock()
	if s.turn != nil || s.launching != nil {
		s.mu.Unlock()
		return apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn started in this session during the rewind")
	}
	proc, pumped := s.detach()
	if p.From == "" {
		s.info.AgentSessionID, s.info.Fork = "", nil
	} else {
		s.info.Fork = &ForkPoint{From: p.From, At: p.At}
	}
	s.changed()
	s.mu.Unlock()
	if proc != nil {
		stopProcess(proc, 2*time.Second, s.m.cfg.EscalateStep)
		<-pumped
	}
	return nil
}

// detach lets go of the session's agent process without ending the
// session: what its pump reads from now on is dropped, and its exit is
// not the session's (exited sees another process). The caller holds s.mu,
// ends the process and waits for pumped.
func (s *session) detach() (*claude.Process, chan struct{}) {
	p, pumped := s.proc, s.pumped
	if p == nil {
		return nil, nil
	}
	s.proc = nil
	s.info.AgentPID = 0
	s.initID = ""
	for id, ch := range s.controls {
		ch <- claude.ControlResponse{RequestID: id, Subtype: "error", Error: "the agent was restarted for a rewind"}
		delete(s.controls, id)
	}
	return p, pumped
}
