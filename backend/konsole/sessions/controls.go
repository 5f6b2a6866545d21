package sessions

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/shared/apierror"
)

// controlTimeout bounds how long a mid-session change waits for the CLI.
const controlTimeout = 10 * time.Second

// modelRE is what a model name or alias may look like ("opus",
// "claude-sonnet-4-5", "claude-opus-5-5[1m]", "default").
var modelRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@/\[\]-]{0,99}$`)

func checkModel(m string) error {
	if m != "" && !modelRE.MatchString(m) {
		return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "model %q is not a model name or alias (letters, digits and ._:@/[]-, at most 100)", m)
	}
	return nil
}

func checkMode(mode string) error {
	if !permissionModes[mode] {
		return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "permissionMode %q is not one of default, acceptEdits, plan, bypassPermissions, dontAsk", mode)
	}
	return nil
}

// sendControl sends a control request to the running agent and returns
// its id and the channel its answer arrives on (buffered: whoever answers
// never waits for the reader). The caller holds s.mu.
func (s *session) sendControl(subtype string, fields map[string]any) (string, <-chan claude.ControlResponse, error) {
	if s.proc == nil {
		return "", nil, errors.New("no agent runs")
	}
	id, err := s.proc.Control(subtype, fields)
	if err != nil {
		return "", nil, err
	}
	ch := make(chan claude.ControlResponse, 1)
	if s.controls == nil {
		s.controls = map[string]chan claude.ControlResponse{}
	}
	s.controls[id] = ch
	return id, ch, nil
}

// controlAnswered hands a control_response to whoever waits for it.
func (s *session) controlAnswered(c *claude.ControlResponse) {
	if ch := s.controls[c.RequestID]; ch != nil {
		delete(s.controls, c.RequestID)
		ch <- *c
	}
}

// awaitControl waits (without the lock) for the CLI's answer to control
// request id. One that times out leaves the session's map at once, not
// when the agent exits: a late answer finds no one waiting and is dropped.
func (s *session) awaitControl(id string, ch <-chan claude.ControlResponse, what string) error {
	timeout := time.NewTimer(s.m.controlTimeout())
	defer timeout.Stop()
	select {
	case c := <-ch:
		if c.Subtype == "error" {
			return &apierror.Error{Status: http.StatusBadGateway, Code: apierror.CodeAgent, Message: fmt.Sprintf("the agent refused %s: %s", what, firstNonEmpty(c.Error, "no reason given"))}
		}
		return nil
	case <-timeout.C:
		s.mu.Lock()
		delete(s.controls, id)
		s.mu.Unlock()
		return &apierror.Error{Status: http.StatusGatewayTimeout, Code: apierror.CodeAgent, Message: fmt.Sprintf("the agent did not answer %s within %s", what, s.m.controlTimeout())}
	}
}

// controlTimeout is ManagerConfig.ControlTimeout, controlTimeout when zero.
func (m *Manager) controlTimeout() time.Duration {
	if m.cfg.ControlTimeout > 0 {
		return m.cfg.ControlTimeout
	}
	return controlTimeout
}

// update applies a PATCH. A model or mode change goes to a running agent
// as its set_model / set_permission_mode control request and takes effect
// on its next request; without an agent it applies at the next start.
func (s *session) update(p SessionPatch) (Session, error) {
	if p.Title == nil && p.Model == nil && p.PermissionMode == nil && p.Archived == nil {
		return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, `nothing to change: send "title", "model", "permissionMode" or "archived"`)
	}
	var title string
	if p.Title != nil {
		title = strings.TrimSpace(*p.Title)
		if title == "" || len([]rune(title)) > 200 {
			return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "title must be 1 to 200 characters")
		}
	}
	if p.Model != nil {
		if *p.Model == "" {
			return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "model must not be empty (use \"default\" for the CLI's default)")
		}
		if err := checkModel(*p.Model); err != nil {
			return Session{}, err
		}
	}
	if p.PermissionMode != nil {
		if *p.PermissionMode == "" {
			return Session{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "permissionMode must not be empty")
		}
		if err := checkMode(*p.PermissionMode); err != nil {
			return Session{}, err
		}
	}

	s.mu.Lock()
	// A change made while the agent starts would miss it: it waits, and
	// goes to the agent that started.
	s.awaitLaunch()
	if p.Title != nil {
		s.info.Title = title
	}
	if p.Archived != nil {
		s.info.Archived = *p.Archived
	}
	type change struct {
		id    string
		ch    <-chan claude.ControlResponse
		what  string
		apply func()
	}
	var waits []change
	live := s.proc != nil && !s.ending
	// ask applies a change now when no agent runs, else asks the agent for
	// it (control request subtype, with field = value) and applies it once
	// the agent has confirmed.
	ask := func(subtype, field, value, what string, apply func()) error {
		if !live {
			apply()
			return nil
		}
		id, ch, err := s.sendControl(subtype, map[string]any{field: value})
		if err != nil {
			return errAgent(err)
		}
		waits = append(waits, change{id, ch, fmt.Sprintf("%s %q", what, value), apply})
		return nil
	}
	var err error
	if p.Model != nil && *p.Model != s.info.Model {
		m := *p.Model
		err = ask("set_model", "model", m, "the model", func() { s.info.Model = m })
	}
	if err == nil && p.PermissionMode != nil && *p.PermissionMode != s.info.PermissionMode {
		mode := *p.PermissionMode
		err = ask("set_permission_mode", "mode", mode, "the Permission mode", func() { s.info.PermissionMode = mode })
	}
	if err != nil {
		s.mu.Unlock()
		return Session{}, err
	}
	s.changed()
	s.mu.Unlock()

	var failed error
	for _, w := range waits {
		if err := s.awaitControl(w.id, w.ch, w.what); err != nil {
			failed = errors.Join(failed, err)
			continue
		}
		s.mu.Lock()
		w.apply()
		s.changed()
		s.mu.Unlock()
	}
	if failed != nil {
		var e *apierror.Error
		if errors.As(failed, &e) {
			return Session{}, e
		}
		return Session{}, failed
	}
	return s.snapshot(), nil
}

// initialized takes the CLI's initialize answer: the session's menus, and
// the models and commands offered when a new session is started.
func (s *session) initialized(c *claude.ControlResponse) {
	if len(c.Response) == 0 {
		return // an agent that answers without its capabilities
	}
	caps, err := claude.ParseCapabilities(c.Response)
	if err != nil {
		s.m.lg.Warn("failed to read the agent's initialize answer", "session", s.info.ID, "err", err)
		return
	}
	s.agent.Commands, s.agent.Models = caps.Commands, caps.Models
	s.agent.Version, s.agent.OutputStyle = caps.Version, caps.OutputStyle
	s.m.rememberCapabilities(caps)
	s.agentChanged()
}

// sawInit takes the CLI's system/init line.
func (s *session) sawInit(in *claude.Init) {
	// The CLI repeats its init with every turn: tell clients only of news.
	news := !slices.Equal(s.agent.Tools, in.Tools) || !slices.Equal(s.agent.MCPServers, in.MCPServers) ||
		!slices.Equal(s.agent.SlashCommands, in.SlashCommands) || (in.Model != "" && in.Model != s.agent.Model)
	s.agent.Tools, s.agent.MCPServers, s.agent.SlashCommands = in.Tools, in.MCPServers, in.SlashCommands
	if in.Model != "" {
		s.agent.Model = in.Model
	}
	dirty := false
	if id := in.SessionID; id != "" && id != s.info.AgentSessionID {
		// A new id (the first turn, /clear, or a fork's own): resume this
		// one from now on.
		s.info.AgentSessionID, s.info.Fork, dirty = id, nil, true
	}
	if s.info.Model == "" && in.Model != "" {
		s.info.Model, dirty = in.Model, true
	}
	if in.PermissionMode != "" && in.PermissionMode != s.info.PermissionMode && !(s.info.PermissionMode == "" && in.PermissionMode == "default") {
		s.info.PermissionMode, dirty = in.PermissionMode, true
	}
	if dirty {
		s.changed()
	}
	if news {
		s.agentChanged()
	}
}

// sawSystem takes a status or compact_boundary line.
func (s *session) sawSystem(sys *claude.System) {
	switch sys.Subtype {
	case "status":
		status := ""
		if sys.Status != nil && *sys.Status == "compacting" {
			status = "compacting"
		}
		dirty := status != s.info.AgentStatus
		s.info.AgentStatus = status
		if sys.PermissionMode != "" && sys.PermissionMode != s.info.PermissionMode {
			s.info.PermissionMode, dirty = sys.PermissionMode, true
		}
		if dirty {
			s.changed()
		}
	case "compact_boundary":
		s.agent.Compactions++
		block := map[string]any{"type": "compact_boundary"}
		if len(sys.CompactMeta) > 0 {
			block["metadata"] = sys.CompactMeta
		}
		content, _ := json.Marshal([]any{block})
		s.message(&claude.Message{Role: "system", Content: content})
		s.agentChanged()
	}
}

// agentChanged tells clients to fetch the session's info again.
func (s *session) agentChanged() {
	s.agent.UpdatedAt = time.Now().UTC()
	s.emit("", contract.AgentInfoChanged{SessionID: s.info.ID})
}

// agentInfo is the session's AgentInfo as of now.
func (s *session) agentInfo() AgentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agent
	a.SessionID, a.Running = s.info.ID, s.proc != nil
	a.PermissionMode, a.Effort, a.AgentSessionID = s.info.PermissionMode, s.info.Effort, s.info.AgentSessionID
	if a.Model == "" {
		a.Model = s.info.Model
	}
	for _, l := range []*[]string{&a.Tools, &a.SlashCommands} {
		if *l == nil {
			*l = []string{}
		}
	}
	if a.MCPServers == nil {
		a.MCPServers = []claude.MCPServer{}
	}
	if a.Commands == nil {
		a.Commands = []claude.CommandInfo{}
	}
	if a.Models == nil {
		a.Models = []claude.ModelInfo{}
	}
	return a
}

// capabilitiesKey stores the newest initialize answer, so that the models
// can be offered before any agent of this Konsole has started.
const capabilitiesKey = "agent-capabilities"

// rememberCapabilities keeps the newest initialize answer (models, commands).
func (m *Manager) rememberCapabilities(c claude.Capabilities) {
	m.mu.Lock()
	m.caps = &c
	m.mu.Unlock()
	b, _ := json.Marshal(c)
	// A session's pump calls this under the session's lock: the write is
	// the Manager's writer's, in the order the answers came.
	m.blobs.do(func() {
		if err := m.st.SetBlob(capabilitiesKey, b); err != nil {
			m.lg.Warn("failed to keep the agent's capabilities", "err", err)
		}
	})
}

// Capabilities returns the newest initialize answer of any agent (stored
// across restarts); the zero value before any agent has started.
func (m *Manager) Capabilities() claude.Capabilities {
	m.mu.Lock()
	c := m.caps
	m.mu.Unlock()
	if c != nil {
		return *c
	}
	var out claude.Capabilities
	if b, err := m.st.Blob(capabilitiesKey); err == nil && b != nil {
		// a blob that no longer decodes reads as none, as a missing one does.
		_ = json.Unmarshal(b, &out)
	}
	return out
}
