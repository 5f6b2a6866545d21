package sessions

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/konui/konui/backend/agent/claude"
	"github.com/konui/konui/backend/apierror"
	"github.com/konui/konui/backend/eventlog"
	"github.com/konui/konui/backend/store"
	"github.com/konui/konui/backend/textclip"
)

// session is the live state of one session. Every field is guarded by mu;
// the pump goroutine of the current process takes mu for each output line.
type session struct {
	m   *Manager
	mu  sync.Mutex
	pub atomic.Pointer[Session] // see snapshot

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
}

const maxSeenClientIDs = 512

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
func (s *session) emit(typ, turnID string, data any) {
	s.publish()
	if _, err := s.m.log.Append(typ, s.info.ID, turnID, data); err != nil {
		s.m.lg.Error("failed to record an event", "type", typ, "session", s.info.ID, "err", err)
	}
}

// storedSession is a session's row in the store: the API's Session and
// the permission requests waiting for an answer, so that a Konsole that
// stopped without answering them (kill -9, a crash) answers them when it
// starts again (recover).
type storedSession struct {
	Session
	WaitingRequests []*Permission `json:"waitingRequests,omitempty"`
}

func (s *session) save() error {
	return s.m.st.SaveSession(s.info.ID, s.row(), s.info.ActiveTurnID, s.info.CreatedAt.Format(time.RFC3339Nano))
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

// store writes row, taken with s.row under s.mu, without holding s.mu.
func (s *session) store(row []byte) {
	info := s.snapshot()
	if err := s.m.st.SaveSession(info.ID, row, info.ActiveTurnID, info.CreatedAt.Format(time.RFC3339Nano)); err != nil {
		s.m.lg.Error("failed to save a session", "session", info.ID, "err", err)
	}
}

// changed records the session and tells subscribers.
func (s *session) changed() {
	s.info.UpdatedAt = time.Now().UTC()
	s.info.PendingPermissions = len(s.perms)
	s.publish()
	if err := s.save(); err != nil {
		s.m.lg.Error("failed to save a session", "session", s.info.ID, "err", err)
	}
	s.emit(eventlog.EvSessionUpdated, "", map[string]any{"session": s.info})
}

// recover readies a session loaded from the store: whatever Konsole left
// running when it stopped has ended. waiting are the permission requests
// it left unanswered: no agent waits for them any more, so each is
// answered (denied, reason konsole_restarted) for every client to drop it.
func (s *session) recover(activeTurn string, waiting []*Permission) {
	dirty := false
	for _, p := range waiting {
		s.emit(eventlog.EvPermissionResolved, p.TurnID, map[string]any{"requestId": p.RequestID, "toolName": p.ToolName,
			"input": p.Input, "behavior": "deny", "reason": DenyKonsoleRestarted,
			"message": "Konsole restarted before this request was answered."})
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
		s.emit(eventlog.EvTurnCompleted, id, map[string]any{"turnId": id, "reason": ReasonError,
			"error": "Konsole stopped while this turn was running; send the prompt again to continue"})
		s.info.ActiveTurnID, dirty = "", true
	}
	if s.info.PendingPermissions != 0 {
		s.info.PendingPermissions, dirty = 0, true
	}
	if dirty {
		s.changed()
	}
}

// start spawns the agent, resuming the conversation when one exists.
func (s *session) start() error {
	agent := s.m.Agent()
	s.info.Agent = sessionAgent(agent)
	if !agent.OK() {
		return agentError(agent)
	}
	opts := claude.Options{Binary: agent.Path, Dir: s.info.Cwd, Env: s.m.cfg.Env,
		Resume: s.info.AgentSessionID, Model: s.info.Model, PermissionMode: s.info.PermissionMode, Effort: s.info.Effort, Logger: s.m.lg}
	if f := s.info.Fork; f != nil {
		opts.Resume, opts.ForkSession, opts.ResumeAt = f.From, true, f.At
	}
	if s.m.cfg.Prepare != nil {
		s.m.cfg.Prepare(s.info.ID, &opts)
	}
	base := s.m.costBaseline(opts.Resume)
	p, err := claude.Start(opts)
	if err != nil {
		return err
	}
	s.proc, s.procCost = p, base
	s.info.AgentPID = p.Pid()
	s.info.Status = StatusStarting
	s.pumped = make(chan struct{})
	go s.pump(p, s.pumped)
	// The session stays starting until the CLI answers; a prompt sent
	// meanwhile is written after this request and read once it is ready.
	if s.initID, err = p.Initialize(); err != nil {
		s.m.lg.Warn("failed to ask the agent whether it is ready", "session", s.info.ID, "err", err)
		s.ready()
	}
	return nil
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
		s.mu.Lock()
		if s.proc == p {
			s.handle(out)
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

func (s *session) handle(out claude.Output) {
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
			s.emit(eventlog.EvTextDelta, s.turn.id, map[string]any{"turnId": s.turn.id, "text": out.TextDelta})
		}
	case claude.KindMessage:
		s.message(out.Message)
	case claude.KindPermission:
		s.permissionRequest(out.Permission)
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
	if _, err := s.m.st.AddMessage(store.MessageRow{SessionID: s.info.ID, TurnID: tid, Role: msg.Role, Content: content, At: at}); err != nil {
		s.m.lg.Error("failed to save a message", "session", s.info.ID, "err", err)
	}
	data := map[string]any{"turnId": tid, "role": msg.Role, "content": content}
	if msg.ParentToolUseID != "" {
		data["parentToolUseId"] = msg.ParentToolUseID
	}
	s.emit(eventlog.EvMessage, tid, data)
}

func (s *session) permissionRequest(req *claude.PermissionRequest) {
	if s.turn == nil || s.turn.stopping {
		s.proc.AnswerPermission(req.RequestID, false, nil, "The user stopped this turn.")
		return
	}
	p := &Permission{RequestID: req.RequestID, ToolName: req.ToolName, Input: req.Input, ToolUseID: req.ToolUseID, TurnID: s.turn.id,
		RequestedAt: time.Now().UTC()}
	s.classify(p)
	if s.ruleAllows(p) {
		return
	}
	s.armAutoDeny(p)
	s.perms[req.RequestID] = p
	s.emit(eventlog.EvPermissionRequest, p.TurnID, p)
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
	data := map[string]any{"costUsd": cost, "durationMs": time.Since(t.started).Milliseconds(), "usage": s.recordUsage(t, r, cost)}
	if u := s.info.Usage; u != nil && u.ContextWindow > 0 {
		data["contextTokens"], data["contextWindow"] = u.ContextTokens, u.ContextWindow
	}
	switch {
	case t.stopping:
		reason = ReasonInterrupted
		data["stopLatencyMs"] = time.Since(t.stopAt).Milliseconds()
	case r.IsError:
		reason = ReasonError
		data["error"] = firstNonEmpty(r.Result, "the agent reported an error ("+r.Subtype+")")
	}
	if r.Result != "" {
		data["result"] = r.Result
	}
	s.finishTurn(reason, data)
	s.info.Status = StatusIdle
	s.changed()
	s.afterTurn(reason)
}

// finishTurn denies what is still pending and reports the turn as ended.
// The caller sets the status and calls changed.
func (s *session) finishTurn(reason string, data map[string]any) {
	t := s.turn
	if t == nil {
		return
	}
	if t.stopTimer != nil {
		t.stopTimer.Stop()
	}
	s.denyPending("The turn ended before this request was answered.", "")
	data["turnId"], data["reason"] = t.id, reason
	if _, ok := data["durationMs"]; !ok {
		data["durationMs"] = time.Since(t.started).Milliseconds()
	}
	s.emit(eventlog.EvTurnCompleted, t.id, data)
	// The transcript keeps the turn's end too, so that a reloaded console
	// still shows each turn's cost, duration and how it ended.
	end := map[string]any{"type": eventlog.EvTurnCompleted}
	for k, v := range data {
		end[k] = v
	}
	content, _ := json.Marshal([]any{end})
	if _, err := s.m.st.AddMessage(store.MessageRow{SessionID: s.info.ID, TurnID: t.id, Role: "turn", Content: content,
		At: time.Now().UTC().Format(time.RFC3339Nano)}); err != nil {
		s.m.lg.Error("failed to save the end of a turn", "session", s.info.ID, "err", err)
	}
	s.turn = nil
	s.info.ActiveTurnID = ""
}

// denyPending denies every request waiting for an answer, telling the
// agent (when one runs) and every client; reason, when set, says why
// Konsole answered them itself (DenyAgentExited, DenyKonsoleRestarted).
func (s *session) denyPending(message, reason string) {
	for id, p := range s.perms {
		if s.proc != nil {
			s.proc.AnswerPermission(id, false, nil, message)
		}
		if p.timer != nil {
			p.timer.Stop()
		}
		resolved := map[string]any{"requestId": id, "toolName": p.ToolName, "input": p.Input, "behavior": "deny", "message": message}
		if reason != "" {
			resolved["reason"] = reason
		}
		s.emit(eventlog.EvPermissionResolved, p.TurnID, resolved)
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
			if err := s.save(); err != nil {
				s.m.lg.Error("failed to save a session", "session", s.info.ID, "err", err)
			}
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
	s.emit(eventlog.EvAgentExited, s.turnID(), map[string]any{"error": errText, "stderrTail": tail, "expected": s.ending || stopping})
	reason := ReasonError
	if stopping {
		reason = ReasonInterrupted
	}
	lastError := describeExit(errText, tail)
	data := map[string]any{}
	if reason == ReasonError {
		data["error"] = lastError
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

// startTurn sends a prompt as a new turn; the caller holds s.mu.
func (s *session) startTurn(req PromptRequest) (string, bool, error) {
	if req.ClientMessageID != "" {
		if tid, ok := s.seen[req.ClientMessageID]; ok {
			return tid, true, nil
		}
	}
	if s.turn != nil {
		return "", false, apierror.New(http.StatusConflict, apierror.CodeConflict, "a turn is already running in this session; stop it or wait for it to finish")
	}
	if s.ending {
		return "", false, apierror.New(http.StatusConflict, apierror.CodeConflict, "the session is ending")
	}
	if s.proc == nil {
		if err := s.start(); err != nil {
			s.info.Status, s.info.LastError = StatusError, errText(err)
			s.changed()
			return "", false, asAgentError(err)
		}
	}
	t := &turn{id: uuid.NewString(), started: time.Now()}
	s.turn = t
	s.info.Status, s.info.ActiveTurnID, s.info.LastError = StatusRunning, t.id, ""
	if req.ClientMessageID != "" {
		s.remember(req.ClientMessageID, t.id)
	}
	// The prompt goes to the CLI first, so that it works while Konsole
	// records the turn; its output waits for s.mu, so turn.started still
	// comes before the turn's first delta.
	var sendErr error
	if len(req.Images) == 0 {
		sendErr = s.proc.SendUser(req.Text)
	} else {
		sendErr = s.proc.SendUserContent(promptContent(req.Text, req.Images))
	}
	content, _ := json.Marshal(promptContent(req.Text, req.Images))
	if _, err := s.m.st.AddMessage(store.MessageRow{SessionID: s.info.ID, TurnID: t.id, Role: "user", Content: content,
		At: time.Now().UTC().Format(time.RFC3339Nano)}); err != nil {
		s.m.lg.Error("failed to save a prompt", "session", s.info.ID, "err", err)
	}
	started := map[string]any{"turnId": t.id, "prompt": req.Text}
	if len(req.Images) > 0 {
		started["images"] = len(req.Images)
	}
	if req.ClientMessageID != "" {
		started["clientMessageId"] = req.ClientMessageID
	}
	s.emit(eventlog.EvTurnStarted, t.id, started)
	s.changed()
	if sendErr != nil {
		s.finishTurn(ReasonError, map[string]any{"error": sendErr.Error()})
		s.info.Status, s.info.LastError = StatusError, sendErr.Error()
		s.changed()
		return "", false, errAgent(sendErr)
	}
	return t.id, false, nil
}

func (s *session) remember(clientID, turnID string) {
	s.seen[clientID] = turnID
	s.seenList = append(s.seenList, clientID)
	if len(s.seenList) > maxSeenClientIDs {
		delete(s.seen, s.seenList[0])
		s.seenList = s.seenList[1:]
	}
}
