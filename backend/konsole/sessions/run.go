package sessions

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/textclip"
)

// session is the live state of one session. Every field is guarded by mu;
// the pump goroutine of the current process takes mu for each output line.
// Nothing that can block (the store, a process start, a file) runs under
// mu: writes go to the session's writer (writer.go), and the agent starts
// with mu released (launch).
type session struct {
	m   *Manager
	mu  sync.Mutex
	pub atomic.Pointer[Session] // see snapshot
	w   *writer                 // the session's writes to the store, in order

	// queue is the session's prompt queue as stored (queue.go): the store
	// is written through w, never read again while Konsole runs.
	queue []store.QueuedPrompt
	// launching is closed when the agent start under way (launch) has
	// ended; nil when none is.
	launching chan struct{}

	info     Session
	proc     *claude.Process
	pumped   chan struct{} // closed when the current process's pump has finished
	turn     *turn
	perms    map[string]*Permission
	procCost float64
	initID   string                                 // the initialize request the current process has yet to answer
	controls map[string]chan claude.ControlResponse // control requests waiting for their answer
	agent    AgentInfo                              // what the CLI reported about itself
	// planInputs are the inputs of recent ExitPlanMode calls, by tool use id.
	planInputs map[string]json.RawMessage
	ending     bool
	seen       map[string]string // clientMessageId -> turnId, for exactly-once prompts
	seenList   []string
	rules      []string // tools allowed for the session (rules.go)
	// checkpointed is closed when the session's newest checkpoint job
	// (a turn's end snapshot, checkpoints.go) is done; nil when none ran.
	checkpointed chan struct{}
	// rewinding is set while a rewind runs: no turn starts meanwhile.
	rewinding bool
}

const maxSeenClientIDs = 512

func newSession(m *Manager, info Session) *session {
	return &session{m: m, w: newWriter(), perms: map[string]*Permission{}, seen: map[string]string{}, info: info}
}

func (s *session) snapshot() Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// listed returns the session as last published (publish): as of its last
// event. It takes no lock, so that listing sessions never waits for a
// session busy with its agent or its storage.
func (s *session) listed() Session {
	if p := s.pub.Load(); p != nil {
		return *p
	}
	return s.snapshot()
}

// publish makes the session as it is now what listed returns. The caller
// holds s.mu. Pointer fields are shared with the copy: they are replaced,
// never changed in place (see usage).
func (s *session) publish() {
	c := s.info
	s.pub.Store(&c)
}

// emit appends an event of the session, publishing the session as it is
// now first, so that a list read after any event reflects it.
func (s *session) emit(turnID string, data contract.Payload) {
	s.publish()
	if _, err := s.m.log.Append(data.EventType(), s.info.ID, turnID, data); err != nil {
		s.m.lg.Error("failed to record an event", "type", data.EventType(), "session", s.info.ID, "err", err)
	}
}

// msSince is the milliseconds since t, for the optional durations of
// turn.completed.
func msSince(t time.Time) *int64 {
	ms := time.Since(t).Milliseconds()
	return &ms
}

// storedSession is a session's row in the store: the API's Session and
// the permission requests waiting for an answer, so that a Konsole that
// stopped without answering them (kill -9, a crash) answers them when it
// starts again (recover).
type storedSession struct {
	Session
	WaitingRequests []*Permission `json:"waitingRequests,omitempty"`
}

// save queues a write of the session's row as it is now; the caller holds
// s.mu. A failed write is logged: the next change writes the row again.
func (s *session) save() {
	id, row, active, created := s.info.ID, s.row(), s.info.ActiveTurnID, s.info.CreatedAt.Format(time.RFC3339Nano)
	s.w.do(func() {
		if err := s.m.st.SaveSession(id, row, active, created); err != nil {
			s.m.lg.Error("failed to save a session", "session", id, "err", err)
		}
	})
}

// addMessage queues a write of one transcript row; the caller holds s.mu.
// what names the row in the log when the write fails.
func (s *session) addMessage(row store.MessageRow, what string) {
	s.w.do(func() {
		if _, err := s.m.st.AddMessage(row); err != nil {
			s.m.lg.Error("failed to save "+what, "session", row.SessionID, "err", err)
		}
	})
}

// row is the session's stored form; the caller holds s.mu.
func (s *session) row() []byte {
	row := storedSession{Session: s.info}
	for _, p := range s.perms {
		row.WaitingRequests = append(row.WaitingRequests, p)
	}
	b, _ := json.Marshal(row)
	return b
}

// changed records the session and tells subscribers.
func (s *session) changed() {
	s.info.UpdatedAt = time.Now().UTC()
	s.info.PendingPermissions = len(s.perms)
	s.publish()
	s.save()
	s.emit("", contract.SessionUpdated{Session: s.info})
}

// recover readies a session loaded from the store: whatever Konsole left
// running when it stopped has ended. waiting are the permission requests
// it left unanswered: no agent waits for them any more, so each is
// answered (denied, reason konsole_restarted) for every client to drop it.
func (s *session) recover(activeTurn string, waiting []*Permission) {
	dirty := false
	for _, p := range waiting {
		s.emit(p.TurnID, contract.PermissionResolved{RequestID: p.RequestID, ToolName: p.ToolName,
			Input: p.Input, Behavior: "deny", Reason: DenyKonsoleRestarted,
			Message: "Konsole restarted before this request was answered."})
		dirty = true
	}
	switch s.info.Status {
	case StatusStarting, StatusRunning, StatusStopping:
		s.info.Status, dirty = StatusIdle, true
	}
	if s.info.AgentPID != 0 {
		s.info.AgentPID, dirty = 0, true
	}
	if activeTurn != "" || s.info.ActiveTurnID != "" {
		id := activeTurn
		if id == "" {
			id = s.info.ActiveTurnID
		}
		s.emit(id, contract.TurnCompleted{TurnID: id, Reason: ReasonError,
			Error: "Konsole stopped while this turn was running; send the prompt again to continue"})
		s.info.ActiveTurnID, dirty = "", true
	}
	if s.info.PendingPermissions != 0 {
		s.info.PendingPermissions, dirty = 0, true
	}
	if dirty {
		s.changed()
	}
}

// ready marks a starting session idle: its agent has answered.
func (s *session) ready() {
	s.initID = ""
	if s.info.Status == StatusStarting {
		s.info.Status = StatusIdle
		s.changed()
	}
}

func (s *session) pump(p *claude.Process, done chan struct{}) {
	defer close(done)
	for out := range p.Outputs() {
		var plan planFile
		if out.Kind == claude.KindPermission && out.Permission.ToolName == planTool {
			plan = s.m.readPlan() // a file read: before the lock
		}
		if out.Kind == claude.KindResult {
			s.checkpointResult(p) // before the lock, and before turn.completed
		}
		s.mu.Lock()
		if s.proc == p {
			s.handle(out, plan)
		}
		s.mu.Unlock()
	}
	<-p.Done()
	s.mu.Lock()
	s.exited(p)
	s.mu.Unlock()
}

func (s *session) turnID() string {
	if s.turn == nil {
		return ""
	}
	return s.turn.id
}

// handle takes one output line of the agent; plan is the newest plan file
// when the line asks permission for a plan. The caller holds s.mu.
func (s *session) handle(out claude.Output, plan planFile) {
	switch out.Kind {
	case claude.KindInit:
		if s.initID != "" {
			s.ready()
		}
		s.sawInit(out.Init)
	case claude.KindSystem:
		s.sawSystem(out.System)
	case claude.KindTextDelta:
		if s.turn != nil && out.TextDelta != "" {
			s.emit(s.turn.id, contract.TextDelta{TurnID: s.turn.id, Text: out.TextDelta})
		}
	case claude.KindMessage:
		s.message(out.Message)
	case claude.KindPermission:
		s.permissionRequest(out.Permission, plan)
	case claude.KindResult:
		s.result(out.Result)
	case claude.KindControl:
		if out.Control.RequestID == s.initID && s.initID != "" {
			if out.Control.Subtype == "success" {
				s.initialized(out.Control)
			}
			s.ready()
		}
		s.controlAnswered(out.Control)
		if out.Control.Subtype == "error" {
			s.m.lg.Warn("the agent refused a control request", "session", s.info.ID, "request", out.Control.RequestID, "err", out.Control.Error)
		}
	}
}

func (s *session) message(msg *claude.Message) {
	if msg.Replay && msg.Role == "user" && msg.ParentToolUseID == "" {
		// The prompt Konsole sent, echoed back: the transcript has it.
		if t := s.turn; t != nil && t.anchor == "" {
			t.anchor, t.anchorSession = msg.UUID, msg.SessionID
		}
		return
	}
	tid := s.turnID()
	content := msg.Content
	if len(content) == 0 || content[0] != '[' {
		content = json.RawMessage("[]")
	}
	if msg.Role == "assistant" {
		s.noteToolUse(content)
		if msg.ParentToolUseID == "" {
			s.noteContext(msg.Usage)
		}
	}
	if msg.ParentToolUseID != "" {
		content = markParent(content, msg.ParentToolUseID)
	}
	if s.m.cfg.Watch != nil {
		s.m.cfg.Watch(s.info.ID, content)
	}
	at := time.Now().UTC().Format(time.RFC3339Nano)
	s.addMessage(store.MessageRow{SessionID: s.info.ID, TurnID: tid, Role: msg.Role, Content: content, At: at}, "a message")
	s.emit(tid, contract.Message{TurnID: tid, Role: msg.Role, Content: content, ParentToolUseID: msg.ParentToolUseID})
}

func (s *session) permissionRequest(req *claude.PermissionRequest, plan planFile) {
	if s.turn == nil || s.turn.stopping {
		if err := s.proc.AnswerPermission(req.RequestID, false, nil, "The user stopped this turn."); err != nil {
			s.m.lg.Debug("failed to deny a permission of a stopped turn", "session", s.info.ID, "err", err)
		}
		return
	}
	p := &Permission{PermissionRequest: contract.PermissionRequest{RequestID: req.RequestID, ToolName: req.ToolName, Input: req.Input,
		ToolUseID: req.ToolUseID, TurnID: s.turn.id, RequestedAt: time.Now().UTC()}}
	s.classify(p, plan)
	if s.ruleAllows(p) {
		return
	}
	s.armAutoDeny(p)
	s.perms[req.RequestID] = p
	s.emit(p.TurnID, p.PermissionRequest)
	s.changed()
}

func (s *session) result(r *claude.Result) {
	t := s.turn
	if t == nil {
		return
	}
	cost := r.TotalCostUSD - s.procCost
	if cost < 0 {
		cost = r.TotalCostUSD
	}
	s.procCost = r.TotalCostUSD
	s.info.TotalCostUSD += cost
	reason := ReasonCompleted
	usage := s.recordUsage(t, r, cost)
	data := contract.TurnCompleted{CostUSD: &cost, Usage: &usage, Result: r.Result}
	if u := s.info.Usage; u != nil && u.ContextWindow > 0 {
		tokens, window := u.ContextTokens, u.ContextWindow
		data.ContextTokens, data.ContextWindow = &tokens, &window
	}
	switch {
	case t.stopping:
		reason = ReasonInterrupted
		data.StopLatencyMs = msSince(t.stopAt)
	case r.IsError:
		reason = ReasonError
		data.Error = firstNonEmpty(r.Result, "the agent reported an error ("+r.Subtype+")")
	}
	s.finishTurn(reason, data)
	s.info.Status = StatusIdle
	s.changed()
	s.afterTurn(reason)
}

// turnEnd is the block a turn's end is kept as in the transcript (role
// turn): the turn.completed data with its type.
type turnEnd struct {
	Type string `json:"type"`
	contract.TurnCompleted
	// UserMessageUUID and AgentSessionID are the CLI's uuid of the turn's
	// prompt and its conversation (the prompt echoed back): the anchor of
	// a rewind of the conversation.
	UserMessageUUID string `json:"userMessageUuid,omitempty"`
	AgentSessionID  string `json:"agentSessionId,omitempty"`
}

// finishTurn denies what is still pending and reports the turn as ended.
// The caller sets the status and calls changed.
func (s *session) finishTurn(reason string, data contract.TurnCompleted) {
	t := s.turn
	if t == nil {
		return
	}
	if t.stopTimer != nil {
		t.stopTimer.Stop()
	}
	s.denyPending("The turn ended before this request was answered.", "")
	data.TurnID, data.Reason, data.DurationMs = t.id, reason, time.Since(t.started).Milliseconds()
	// The transcript keeps the turn's end too, so that a reloaded console
	// still shows each turn's cost, duration and how it ended. Its write is
	// queued before the event goes out, as for every message: a client
	// that sees turn.completed and reads the transcript (which flushes the
	// session's writes) then gets the turn's end with it.
	content, _ := json.Marshal([]turnEnd{{Type: contract.EvTurnCompleted, TurnCompleted: data,
		// Kept with the turn's end: what a rewind of the conversation to
		// this prompt resumes before (rewind.go).
		UserMessageUUID: t.anchor, AgentSessionID: t.anchorSession}})
	s.addMessage(store.MessageRow{SessionID: s.info.ID, TurnID: t.id, Role: "turn", Content: content,
		At: time.Now().UTC().Format(time.RFC3339Nano)}, "the end of a turn")
	s.emit(t.id, data)
	s.turn = nil
	s.info.ActiveTurnID = ""
	s.checkpointEnd(t)
}

// denyPending denies every request waiting for an answer, telling the
// agent (when one runs) and every client; reason, when set, says why
// Konsole answered them itself (DenyAgentExited, DenyKonsoleRestarted).
func (s *session) denyPending(message, reason string) {
	for id, p := range s.perms {
		if s.proc != nil {
			if err := s.proc.AnswerPermission(id, false, nil, message); err != nil {
				s.m.lg.Debug("failed to deny a pending permission", "session", s.info.ID, "err", err)
			}
		}
		if p.timer != nil {
			p.timer.Stop()
		}
		s.emit(p.TurnID, contract.PermissionResolved{RequestID: id, ToolName: p.ToolName, Input: p.Input, Behavior: "deny",
			Message: message, Reason: reason})
		delete(s.perms, id)
	}
}

// exited handles the end of process p: a turn still running ends, and the
// session becomes idle (expected exit), exited (DELETE) or error.
func (s *session) exited(p *claude.Process) {
	if s.proc != p {
		return
	}
	s.proc = nil
	s.info.AgentPID = 0
	s.initID = ""
	for id, ch := range s.controls {
		ch <- claude.ControlResponse{RequestID: id, Subtype: "error", Error: "the agent exited"}
		delete(s.controls, id)
	}
	// No agent waits for an answer any more: every client drops its
	// requests now, whether the agent crashed, was ended or Konsole stops.
	if len(s.perms) > 0 {
		s.denyPending("The agent exited before this request was answered.", DenyAgentExited)
		s.info.PendingPermissions = 0
		if s.m.isClosing() {
			// Konsole stops: the rest of the session stays as it was, for
			// the next start to resume, but not the requests answered here.
			s.save()
		}
	}
	if s.m.isClosing() {
		return
	}
	stopping := s.turn != nil && s.turn.stopping
	errText := ""
	if err := p.Err(); err != nil {
		errText = err.Error()
	}
	tail := p.StderrTail()
	s.emit(s.turnID(), contract.AgentExited{Error: errText, StderrTail: tail, Expected: s.ending || stopping})
	reason := ReasonError
	if stopping {
		reason = ReasonInterrupted
	}
	lastError := describeExit(errText, tail)
	var data contract.TurnCompleted
	if reason == ReasonError {
		data.Error = lastError
	}
	s.finishTurn(reason, data)
	switch {
	case s.ending:
		s.info.Status = StatusExited
	case stopping:
		s.info.Status = StatusIdle
	default:
		s.info.Status, s.info.LastError = StatusError, lastError
	}
	s.changed()
}

func describeExit(errText, tail string) string {
	msg := "the agent exited"
	if errText != "" {
		msg += " (" + errText + ")"
	}
	if tail != "" {
		msg += ": " + textclip.Tail(tail, 2000)
	}
	return msg
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}
