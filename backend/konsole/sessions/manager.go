package sessions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/checkpoint"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
)

// ManagerConfig says how sessions run their agent.
type ManagerConfig struct {
	// Claude is the CLI binary ("claude" on PATH when empty).
	Claude string
	// Env is the agent's environment; nil inherits Konsole's.
	Env []string
	// Prepare, when set, adjusts the agent options of a session before each
	// start (the MCP configuration for kontasks).
	Prepare func(sessionID string, opts *claude.Options)
	// Watch, when set, sees the content of every message of an agent.
	Watch func(sessionID string, content []byte)
	// StopGrace is how long Stop waits for the CLI to end the turn before it
	// signals the process group (3 s when zero); EscalateStep is the pause
	// between SIGINT, SIGTERM and SIGKILL (1 s when zero).
	StopGrace    time.Duration
	EscalateStep time.Duration
	// AutoDenyUnit is how long one minute of the auto-deny setting lasts (a
	// minute when zero); tests shorten it.
	AutoDenyUnit time.Duration
	// ControlTimeout bounds how long a mid-session change (set_model,
	// set_permission_mode) waits for the agent's answer (10 s when zero).
	ControlTimeout time.Duration
	Logger         *slog.Logger
	// DataDir is Konsole's data folder; sessions' worktrees go under it.
	DataDir string
}

// Manager owns the sessions and their agent processes. The caller should
// call Close.
type Manager struct {
	cfg ManagerConfig
	log *eventlog.Log
	st  sessionStore
	lg  *slog.Logger

	mu       sync.Mutex
	sessions map[string]*session
	wtMu     sync.Mutex // serializes worktree commit, merge and discard
	closing  bool
	caps     *claude.Capabilities // the newest initialize answer of any agent
	// agent is the CLI sessions start (see SetAgent); guarded by mu.
	agent    claude.Install
	autoDeny autoDenySetting // autodeny.go
	// blobs writes the Manager's own values (capabilities) off any lock.
	blobs *writer
	// ckpt keeps the snapshots of the sessions' folders (checkpoints.go);
	// nil without a data folder. ckptCtx ends when the Manager closes: a
	// snapshot under way (the first of a large folder) is not waited for.
	ckpt       *checkpoint.Store
	ckptCtx    context.Context
	ckptCancel context.CancelFunc
}

// NewManager loads the stored sessions. Sessions that had a live agent when
// Konsole stopped come back idle (their next prompt resumes the agent) and a
// turn that was running is reported as ended with an error.
func NewManager(cfg ManagerConfig, log *eventlog.Log, st *store.Store) (*Manager, error) {
	return newManager(cfg, log, st)
}

// sessionStore is what the Manager reads and writes in Konsole's store;
// *store.Store is it, and tests put a store that misbehaves in its place.
type sessionStore interface {
	Sessions() ([]store.SessionRow, error)
	SaveSession(id string, data []byte, activeTurn, createdAt string) error
	AddMessage(store.MessageRow) (int64, error)
	AddMessages([]store.MessageRow) error
	Messages(sessionID string) ([]store.MessageRow, error)
	RecordUsage(store.TurnUsage) error
	Queue(sessionID string) ([]store.QueuedPrompt, error)
	QueuedSessions() ([]string, error)
	SaveQueued(store.QueuedPrompt) error
	DeleteQueued(sessionID, id string) (bool, error)
	ClearQueue(sessionID string) error
	SetBlob(key string, data []byte) error
	Blob(key string) ([]byte, error)
}

var _ sessionStore = (*store.Store)(nil)

func newManager(cfg ManagerConfig, log *eventlog.Log, st sessionStore) (*Manager, error) {
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 3 * time.Second
	}
	if cfg.EscalateStep <= 0 {
		cfg.EscalateStep = time.Second
	}
	if cfg.AutoDenyUnit <= 0 {
		cfg.AutoDenyUnit = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Manager{cfg: cfg, log: log, st: st, lg: cfg.Logger, sessions: map[string]*session{}, blobs: newWriter(),
		agent: claude.Install{Path: cfg.Claude, Source: "configured", MinVersion: claude.MinVersion}}
	if m.agent.Path == "" {
		m.agent.Path = "claude"
	}
	rows, err := st.Sessions()
	if err != nil {
		return nil, err
	}
	// The prompt queues are read once, here: from now on each session keeps
	// its own and only writes the store (queue.go).
	queuedIDs, err := st.QueuedSessions()
	if err != nil {
		return nil, err
	}
	queued := map[string]bool{}
	for _, id := range queuedIDs {
		queued[id] = true
	}
	// Read now, so that no session reads it under its lock (armAutoDeny).
	m.AutoDeny()
	for _, r := range rows {
		var row storedSession
		if err := json.Unmarshal(r.Data, &row); err != nil {
			m.lg.Error("skipping an unreadable stored session", "id", r.ID, "err", err)
			continue
		}
		s := newSession(m, row.Session)
		if queued[s.info.ID] {
			if s.queue, err = st.Queue(s.info.ID); err != nil {
				return nil, err
			}
		}
		s.recover(r.ActiveTurn, row.WaitingRequests)
		s.publish()
		m.sessions[s.info.ID] = s
	}
	m.ckptCtx, m.ckptCancel = context.WithCancel(context.Background())
	m.ckpt = openCheckpoints(m)
	return m, nil
}

func (m *Manager) get(id string) (*session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	if s == nil {
		return nil, apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no session with id %q", id)
	}
	return s, nil
}

// Create validates req, stores a new session and starts its agent. A session
// whose agent cannot start is still created, in status error with the reason
// in lastError.
func (m *Manager) Create(req CreateRequest) (Session, error) {
	var prep func(*session) error
	if req.Resume != "" {
		var err error
		if req.Cwd, prep, err = m.resumeCreate(req); err != nil {
			return Session{}, err
		}
	}
	return m.create(req, prep)
}

// create is Create; prep, when set, readies the new session (what it
// resumes, its imported transcript) before it is stored and started.
func (m *Manager) create(req CreateRequest, prep func(*session) error) (Session, error) {
	cwd := strings.TrimSpace(req.Cwd)
	if home, err := os.UserHomeDir(); err == nil && (cwd == "~" || strings.HasPrefix(cwd, "~/")) {
		cwd = filepath.Join(home, cwd[1:])
	}
	switch {
	case cwd == "":
		return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "cwd is required: the absolute path of the folder the agent works in")
	case !filepath.IsAbs(cwd):
		return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "cwd must be an absolute path, not %q", cwd)
	}
	if fi, err := os.Stat(cwd); err != nil || !fi.IsDir() {
		return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "cwd %q is not an existing folder", cwd)
	}
	if err := checkMode(req.PermissionMode); err != nil {
		return Session{}, err
	}
	if err := checkModel(req.Model); err != nil {
		return Session{}, err
	}
	if !efforts[req.Effort] {
		return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "effort %q is not one of low, medium, high, xhigh, max", req.Effort)
	}
	if utf8.RuneCountInString(req.Title) > 200 {
		return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "title is longer than 200 characters")
	}
	id := uuid.NewString()
	dir, wt, err := m.addWorktree(id, filepath.Clean(cwd), req)
	if err != nil {
		return Session{}, err
	}
	now := time.Now().UTC()
	s := newSession(m, Session{
		ID: id, Cwd: dir, Worktree: wt, Git: repositoryOf(dir, wt), Status: StatusStarting, Model: req.Model,
		PermissionMode: req.PermissionMode, Effort: req.Effort, Title: strings.TrimSpace(req.Title), CreatedAt: now, UpdatedAt: now,
	})
	if prep != nil {
		if err := prep(s); err != nil {
			return Session{}, err
		}
	}
	if s.info.Title == "" {
		s.info.Title = filepath.Base(filepath.Clean(cwd))
	}
	// Written before anyone else can see the session, so without its lock
	// and with its error: a session that cannot be stored is not made.
	if err := m.st.SaveSession(s.info.ID, s.row(), "", s.info.CreatedAt.Format(time.RFC3339Nano)); err != nil {
		return Session{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publish()
	m.mu.Lock()
	m.sessions[s.info.ID] = s
	m.mu.Unlock()
	s.emit("", contract.SessionCreated{Session: s.info})
	s.checkpointBaseline()
	if err := s.launch(); err != nil {
		s.info.Status, s.info.LastError = StatusError, errText(err)
	}
	s.changed()
	return s.info, nil
}

// List returns every session, oldest first.
func (m *Manager) List() []Session {
	m.mu.Lock()
	all := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	out := make([]Session, 0, len(all))
	for _, s := range all {
		out = append(out, s.listed())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].ID < out[j].ID
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	return out
}

// Get returns one session.
func (m *Manager) Get(id string) (Session, error) {
	s, err := m.get(id)
	if err != nil {
		return Session{}, err
	}
	return s.snapshot(), nil
}

// Messages returns a session's transcript: every message of the events
// appended so far (it waits for the session's writes, not its lock).
func (m *Manager) Messages(id string) ([]store.MessageRow, error) {
	if err := m.Flush(id); err != nil {
		return nil, err
	}
	return m.st.Messages(id)
}

// Flush waits until everything session id has recorded so far (its row,
// transcript, usage and queue) is in the store; the caller then reads the
// store directly. It holds no session lock while it waits: it only passes
// through the lock once (settle), so that the writes of a critical section
// whose events the caller saw are queued.
func (m *Manager) Flush(id string) error {
	s, err := m.get(id)
	if err != nil {
		return err
	}
	s.settle()
	s.w.flush()
	return nil
}

// flushAllWait bounds FlushAll.
const flushAllWait = 2 * time.Second

// FlushAll is Flush for every session, for readers across sessions (usage,
// search), but waits at most two seconds in all: a session whose storage
// hangs leaves those readers without its newest rows, not without an
// answer. It reports whether every session's writes are in.
func (m *Manager) FlushAll() bool {
	deadline := time.NewTimer(flushAllWait)
	defer deadline.Stop()
	all := true
	for _, s := range m.all() {
		s.settle()
		if !s.w.flushUntil(deadline.C) {
			all = false
			m.lg.Warn("a session's writes did not reach the store in time; reading without them", "session", s.info.ID)
			// The deadline has fired: the sessions after it get no wait
			// either, only what is done.
			deadline.Reset(0)
		}
	}
	return all
}

// all returns every session, in no order.
func (m *Manager) all() []*session {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		out = append(out, s)
	}
	return out
}

// Update changes a session's title, model or permission mode (PATCH).
func (m *Manager) Update(id string, p SessionPatch) (Session, error) {
	s, err := m.get(id)
	if err != nil {
		return Session{}, err
	}
	return s.update(p)
}

// Info returns what a session's agent reported about itself.
func (m *Manager) Info(id string) (AgentInfo, error) {
	s, err := m.get(id)
	if err != nil {
		return AgentInfo{}, err
	}
	return s.agentInfo(), nil
}

// ActiveTurn returns the id of the turn running in a session, or "" when
// none runs or there is no such session.
func (m *Manager) ActiveTurn(id string) string {
	s, err := m.get(id)
	if err != nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.turnID()
}

// Permissions returns the tool-permission requests waiting for an answer.
func (m *Manager) Permissions(id string) ([]*Permission, error) {
	s, err := m.get(id)
	if err != nil {
		return nil, err
	}
	return s.pending(), nil
}

// Stop interrupts the running turn of a session.
func (m *Manager) Stop(id string) (string, error) {
	s, err := m.get(id)
	if err != nil {
		return "", err
	}
	return s.stop()
}

// Answer resolves a pending tool-permission request.
func (m *Manager) Answer(id, requestID string, a PermissionAnswer) error {
	if a.Behavior != "allow" && a.Behavior != "deny" {
		return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "behavior must be \"allow\" or \"deny\", not %q", a.Behavior)
	}
	s, err := m.get(id)
	if err != nil {
		return err
	}
	return s.answer(requestID, a)
}

// End stops a session's agent process; the session stays listed as exited
// and a later prompt starts it again with resume.
func (m *Manager) End(id string) error {
	s, err := m.get(id)
	if err != nil {
		return err
	}
	s.end()
	return nil
}

// Close ends every agent process without changing stored session state, so
// that the next Konsole start resumes them.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return
	}
	m.closing = true
	m.mu.Unlock()
	m.ckptCancel()
	all := m.all()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.shutdown(2 * time.Second)
			s.mu.Lock()
			s.awaitCheckpoints()
			s.mu.Unlock()
			// What the session recorded is in the store before the caller
			// closes it: the next start reads it back.
			s.w.flush()
		}()
	}
	wg.Wait()
	m.blobs.flush()
}

// SetAgent chooses the CLI that sessions start from now on; an Install
// with Error set makes every start fail with that sentence.
func (m *Manager) SetAgent(in claude.Install) {
	m.mu.Lock()
	m.agent = in
	m.mu.Unlock()
}

// Agent returns the CLI sessions start, or why there is none.
func (m *Manager) Agent() claude.Install {
	m.mu.Lock()
	defer m.mu.Unlock()
	in := m.agent
	in.Searched = append([]string(nil), m.agent.Searched...)
	return in
}

func (m *Manager) isClosing() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closing
}

// asAgentError keeps an agent problem that carries its own code (a missing
// or too old CLI) and wraps any other start failure as agent_unavailable.
func asAgentError(err error) error {
	var e *apierror.Error
	if errors.As(err, &e) {
		return e
	}
	return errAgent(err)
}

// errText is an error's sentence, without the code an *apierror.Error carries.
func errText(err error) string {
	var e *apierror.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func errAgent(err error) error {
	return &apierror.Error{Status: http.StatusBadGateway, Code: apierror.CodeAgent, Message: fmt.Sprintf("the agent is not available: %v", err)}
}
