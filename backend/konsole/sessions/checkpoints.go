// Checkpoints: a snapshot of the session's folder before each prompt and
// at each turn's end (backend/konsole/checkpoint), taken with the
// session's lock released.

package sessions

import (
	"context"
	"path/filepath"
	"time"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/checkpoint"
)

// checkpointTimeout bounds one snapshot.
const checkpointTimeout = 2 * time.Minute

// openCheckpoints opens the checkpoint store in the data folder, and
// removes the stores of sessions Konsole no longer has (its database
// was replaced). Without a data folder there are no checkpoints.
func openCheckpoints(m *Manager) *checkpoint.Store {
	if m.cfg.DataDir == "" {
		return nil
	}
	st, err := checkpoint.Open(filepath.Join(m.cfg.DataDir, "checkpoints"), 0)
	if err != nil {
		m.lg.Error("failed to open the checkpoint store; prompts are not checkpointed", "err", err)
		return nil
	}
	ctx, cancel := context.WithTimeout(m.ckptCtx, checkpointTimeout)
	defer cancel()
	if err := st.Prune(ctx, func(id string) bool { return m.sessions[id] != nil }); err != nil {
		m.lg.Warn("failed to remove the checkpoints of sessions that are gone", "err", err)
	}
	return st
}

// checkpointStart snapshots the session's folder before turn t's prompt
// goes to the agent, once the previous turn's end snapshot is done. The
// caller holds s.mu, which is released meanwhile; t.launching says the
// prompt is not sent yet, so that a Stop only marks the turn stopping. A
// failure is logged and the turn runs without a checkpoint: rewinding to
// it is refused later.
func (s *session) checkpointStart(t *turn) {
	st := s.m.ckpt
	if st == nil {
		return
	}
	id, cwd, prev := s.info.ID, s.info.Cwd, s.checkpointed
	t.launching = true
	s.mu.Unlock()
	if prev != nil {
		<-prev
	}
	ctx, cancel := context.WithTimeout(s.m.ckptCtx, checkpointTimeout)
	_, err := st.Begin(ctx, id, cwd, t.id)
	cancel()
	s.mu.Lock()
	t.launching = false
	if err != nil {
		s.m.lg.Warn("failed to snapshot the session's folder before a prompt; it cannot be rewound to", "session", id, "turn", t.id, "err", err)
	}
}

// checkpointResult snapshots the session's folder when process p reports
// the end of the running turn, before the turn ends for Konsole: a file
// that differs between this snapshot and the next prompt's was changed
// by someone else than the agent, and a person who changes one as soon
// as turn.completed arrives must be seen doing it. A turn being stopped
// is left to checkpointEnd, so that a snapshot never delays a Stop. The
// caller (the pump) holds no lock.
func (s *session) checkpointResult(p *claude.Process) {
	s.mu.Lock()
	t, st := s.turn, s.m.ckpt
	if st == nil || t == nil || t.stopping || t.ended || s.proc != p {
		s.mu.Unlock()
		return
	}
	t.ended = true
	run := s.endJob(t.id)
	s.mu.Unlock()
	run()
}

// checkpointEnd snapshots the session's folder now that turn t has ended,
// unless checkpointResult did; off the lock, in a goroutine the session
// owns. The caller holds s.mu.
func (s *session) checkpointEnd(t *turn) {
	if s.m.ckpt == nil || t.ended {
		return
	}
	t.ended = true
	go s.endJob(t.id)()
}

// endJob readies the end snapshot of turn turnID (see job).
func (s *session) endJob(turnID string) func() {
	return s.job("at the end of a turn", func(ctx context.Context, st *checkpoint.Store, id, cwd string) error {
		_, err := st.End(ctx, id, cwd, turnID)
		return err
	})
}

// checkpointBaseline snapshots a new session's folder in the background,
// so that its first prompt waits for no more than what changed since:
// the first snapshot of a folder reads every file. The caller holds s.mu.
func (s *session) checkpointBaseline() {
	if s.m.ckpt == nil {
		return
	}
	go s.job("as the session starts", func(ctx context.Context, st *checkpoint.Store, id, cwd string) error {
		_, err := st.Take(ctx, id, cwd, "created")
		return err
	})()
}

// job readies a snapshot (take) of the session's folder and returns it to
// run with s.mu released, after the jobs before it. The caller holds s.mu.
// s.checkpointed is closed when it is done: the next snapshot and a rewind
// wait for it, and Close does. A failure is logged with what it was for.
func (s *session) job(what string, take func(ctx context.Context, st *checkpoint.Store, id, cwd string) error) func() {
	st, id, cwd, prev := s.m.ckpt, s.info.ID, s.info.Cwd, s.checkpointed
	done := make(chan struct{})
	s.checkpointed = done
	return func() {
		defer close(done)
		if prev != nil {
			<-prev
		}
		ctx, cancel := context.WithTimeout(s.m.ckptCtx, checkpointTimeout)
		defer cancel()
		if err := take(ctx, st, id, cwd); err != nil {
			s.m.lg.Warn("failed to snapshot the session's folder "+what, "session", id, "err", err)
		}
	}
}

// awaitCheckpoints waits, with s.mu released, for the session's
// checkpoint jobs under way; the caller holds s.mu.
func (s *session) awaitCheckpoints() {
	for s.checkpointed != nil {
		done := s.checkpointed
		s.mu.Unlock()
		<-done
		s.mu.Lock()
		if s.checkpointed == done {
			return
		}
	}
}
