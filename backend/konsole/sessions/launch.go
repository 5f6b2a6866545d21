// Starting turns and the agent: what runs with the session's lock released.

package sessions

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// launch starts the agent, resuming the conversation when one exists. The
// caller holds s.mu; launch releases it while the agent starts (reading
// what the conversation cost so far, Prepare, the process start), so that
// a slow disk or a slow start stalls nobody who only reads the session,
// stops it or works with another one. Meanwhile s.launching is set: other
// starts wait for it (awaitLaunch) and the caller checks the session again
// when launch returns, since anything may have changed. The session is
// starting from now until the agent answers (ready).
func (s *session) launch() error {
	agent := s.m.Agent()
	s.info.Agent = sessionAgent(agent)
	if !agent.OK() {
		return agentError(agent)
	}
	opts := claude.Options{Binary: agent.Path, Dir: s.info.Cwd, Env: s.m.cfg.Env,
		Resume: s.info.AgentSessionID, Model: s.info.Model, PermissionMode: s.info.PermissionMode, Effort: s.info.Effort, Logger: s.m.lg,
		Checkpoints: true}
	if f := s.info.Fork; f != nil {
		opts.Resume, opts.ForkSession, opts.ResumeAt = f.From, true, f.At
	}
	id := s.info.ID
	done := make(chan struct{})
	s.launching = done
	if s.info.Status != StatusStarting {
		s.info.Status = StatusStarting
		s.changed()
	}
	s.mu.Unlock()
	if s.m.cfg.Prepare != nil {
		s.m.cfg.Prepare(id, &opts)
	}
	base := s.m.costBaseline(opts.Resume)
	p, err := claude.Start(opts)
	s.mu.Lock()
	s.launching = nil
	close(done)
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

// awaitLaunch waits, with s.mu released, until no start of the agent is
// under way; the caller holds s.mu.
func (s *session) awaitLaunch() {
	s.awaitLaunchIf(func() bool { return true })
}

// awaitTurnlessLaunch is awaitLaunch for a prompt: a start for a turn
// (startTurn) is not waited for, since that turn answers the prompt (409,
// or queued) at once.
func (s *session) awaitTurnlessLaunch() {
	s.awaitLaunchIf(func() bool { return s.turn == nil })
}

func (s *session) awaitLaunchIf(cond func() bool) {
	for s.launching != nil && cond() {
		done := s.launching
		s.mu.Unlock()
		<-done
		s.mu.Lock()
	}
}

// startTurn sends a prompt as a new turn; the caller holds s.mu. When the
// session has no agent, the turn is the session's at once (another prompt
// is refused or queued, Stop stops it) while the agent starts with s.mu
// released; the turn is started (turn.started) once it has.
func (s *session) startTurn(req PromptRequest) (string, bool, error) {
	s.awaitTurnlessLaunch()
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
	if s.rewinding {
		return "", false, apierror.New(http.StatusConflict, apierror.CodeConflict, "a rewind is under way in this session; send the prompt once it is done")
	}
	t := &turn{id: uuid.NewString(), started: time.Now()}
	s.turn = t
	if req.ClientMessageID != "" {
		s.remember(req.ClientMessageID, t.id)
	}
	s.checkpointStart(t)
	if s.ending {
		// DELETE came while the folder was snapshot.
		s.turn = nil
		s.forget(req.ClientMessageID)
		return "", false, apierror.New(http.StatusConflict, apierror.CodeConflict, "the session is ending")
	}
	if s.proc == nil {
		t.launching = true
		err := s.launch()
		t.launching = false
		if err == nil && s.ending {
			// DELETE came while the agent started: it ends the new agent.
			err = apierror.New(http.StatusConflict, apierror.CodeConflict, "the session is ending")
			s.turn = nil
			s.forget(req.ClientMessageID)
			return "", false, err
		}
		if err != nil {
			s.turn = nil
			s.forget(req.ClientMessageID)
			s.info.Status, s.info.LastError = StatusError, errText(err)
			s.changed()
			return "", false, asAgentError(err)
		}
	}
	s.info.Status, s.info.ActiveTurnID, s.info.LastError = StatusRunning, t.id, ""
	if t.stopping {
		s.info.Status = StatusStopping
	}
	// The prompt goes to the CLI first, so that it works while Konsole
	// records the turn; its output waits for s.mu, so turn.started still
	// comes before the turn's first delta. A turn stopped while its agent
	// started is never sent: it starts and ends interrupted.
	var sendErr error
	switch {
	case t.stopping:
	case len(req.Images) == 0:
		sendErr = s.proc.SendUser(req.Text)
	default:
		sendErr = s.proc.SendUserContent(promptContent(req.Text, req.Images))
	}
	content, _ := json.Marshal(promptContent(req.Text, req.Images))
	s.addMessage(store.MessageRow{SessionID: s.info.ID, TurnID: t.id, Role: "user", Content: content,
		At: time.Now().UTC().Format(time.RFC3339Nano)}, "a prompt")
	s.emit(t.id, contract.TurnStarted{TurnID: t.id, Prompt: req.Text, ClientMessageID: req.ClientMessageID, Images: len(req.Images)})
	s.changed()
	if t.stopping {
		s.finishTurn(ReasonInterrupted, contract.TurnCompleted{StopLatencyMs: msSince(t.stopAt)})
		s.info.Status = StatusIdle
		s.changed()
		s.afterTurn(ReasonInterrupted)
		return t.id, false, nil
	}
	if sendErr != nil {
		s.finishTurn(ReasonError, contract.TurnCompleted{Error: sendErr.Error()})
		s.info.Status, s.info.LastError = StatusError, sendErr.Error()
		s.changed()
		return "", false, errAgent(sendErr)
	}
	return t.id, false, nil
}

// forget undoes remember for a prompt whose turn never started, so that
// sending it again starts it; the caller holds s.mu.
func (s *session) forget(clientID string) {
	if clientID == "" {
		return
	}
	delete(s.seen, clientID)
	if i := slices.Index(s.seenList, clientID); i >= 0 {
		s.seenList = slices.Delete(s.seenList, i, i+1)
	}
}

func (s *session) remember(clientID, turnID string) {
	s.seen[clientID] = turnID
	s.seenList = append(s.seenList, clientID)
	if len(s.seenList) > maxSeenClientIDs {
		delete(s.seen, s.seenList[0])
		s.seenList = s.seenList[1:]
	}
}
