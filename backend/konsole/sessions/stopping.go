// Stopping turns, answering permission requests and ending agents.

package sessions

import (
	"fmt"
	"net/http"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/shared/apierror"
)

// stop interrupts the running turn: the CLI's interrupt first, signals to the
// process group if the turn has not ended within StopGrace.
func (s *session) stop() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.turn
	if t == nil {
		return "", apierror.New(http.StatusConflict, apierror.CodeConflict, "no turn is running in this session")
	}
	if t.stopping {
		return t.id, nil
	}
	t.stopping, t.stopAt = true, time.Now()
	s.denyPending("The user stopped this turn.", "")
	s.info.Status = StatusStopping
	s.changed()
	if t.launching {
		// Its agent is starting: startTurn ends the turn, unsent, once it has.
		return t.id, nil
	}
	if s.proc == nil {
		s.finishTurn(ReasonInterrupted, contract.TurnCompleted{})
		s.info.Status = StatusIdle
		s.changed()
		return t.id, nil
	}
	id, err := s.proc.Interrupt()
	t.interruptID = id
	grace := s.m.cfg.StopGrace
	if err != nil {
		grace = 0
	}
	t.stopTimer = time.AfterFunc(grace, func() { s.escalate(t) })
	return t.id, nil
}

// escalate signals the process group when the CLI did not end turn t in time.
func (s *session) escalate(t *turn) {
	s.mu.Lock()
	if s.turn != t || s.proc == nil {
		s.mu.Unlock()
		return
	}
	t.escalated = true
	p := s.proc
	s.mu.Unlock()
	s.m.lg.Warn("the agent did not stop in time; signalling its process group", "session", s.info.ID, "pid", p.Pid())
	p.Escalate(s.m.cfg.EscalateStep)
}

func (s *session) pending() []*Permission {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Permission, 0, len(s.perms))
	for _, p := range s.perms {
		out = append(out, p)
	}
	return out
}

func (s *session) answer(requestID string, a PermissionAnswer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.perms[requestID]
	if p == nil {
		return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no pending Permission request %q in this session", requestID)
	}
	if s.proc == nil {
		return errAgent(fmt.Errorf("the agent process has exited"))
	}
	input, perms, err := answerInput(p, a)
	if err != nil {
		return err
	}
	if a.Behavior == "allow" {
		err = s.proc.Allow(requestID, input, perms)
	} else {
		err = s.proc.AnswerPermission(requestID, false, nil, a.Message)
	}
	if err != nil {
		return errAgent(err)
	}
	delete(s.perms, requestID)
	if p.timer != nil {
		p.timer.Stop()
	}
	if a.Mode != "" {
		s.info.PermissionMode = a.Mode
	}
	if a.Always {
		s.addRuleLocked(p.ToolName)
	}
	s.emit(p.TurnID, contract.PermissionResolved{RequestID: requestID, ToolName: p.ToolName, Input: p.Input, Behavior: a.Behavior,
		Message: a.Message, Mode: a.Mode, Answers: a.Answers, Always: a.Always, Auto: a.auto})
	s.changed()
	return nil
}

// end closes the agent's input, waits for it to exit (signalling it when it
// does not) and leaves the session exited.
func (s *session) end() {
	s.mu.Lock()
	if s.launching != nil {
		// The agent being started is ended once it has; meanwhile nothing
		// else may start a turn on it.
		s.ending = true
		s.awaitLaunch()
	}
	p, pumped := s.proc, s.pumped
	if p == nil {
		s.ending = false
		if s.info.Status != StatusExited {
			s.info.Status = StatusExited
			s.changed()
		}
		s.mu.Unlock()
		return
	}
	s.ending = true
	if s.turn != nil {
		s.turn.stopping = true
	}
	s.mu.Unlock()
	stopProcess(p, 2*time.Second, s.m.cfg.EscalateStep)
	<-pumped
	s.mu.Lock()
	s.ending = false
	s.mu.Unlock()
}

// shutdown ends the agent as Konsole stops. The requests waiting for an
// answer are denied first (reason agent_exited), so that every client drops
// them and the next start has none to answer.
func (s *session) shutdown(grace time.Duration) {
	s.mu.Lock()
	s.awaitLaunch()
	p, pumped := s.proc, s.pumped
	if len(s.perms) > 0 {
		s.denyPending("Konsole stopped before this request was answered.", DenyAgentExited)
		s.info.PendingPermissions = 0
		s.save()
	}
	s.mu.Unlock()
	if p == nil {
		return
	}
	stopProcess(p, grace, 500*time.Millisecond)
	<-pumped
}

func stopProcess(p *claude.Process, grace, step time.Duration) {
	p.CloseInput()
	select {
	case <-p.Done():
	case <-time.After(grace):
		p.Escalate(step)
	}
}
