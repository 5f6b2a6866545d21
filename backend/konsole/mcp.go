package konsole

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/konui/konui/backend/agent/claude"
	"github.com/konui/konui/backend/httpguard"
	"github.com/konui/konui/backend/kontask"
	"github.com/konui/konui/backend/store"
)

// MCPTokenEnv is the variable through which an agent receives its session's
// MCP token: the --mcp-config names it instead of holding the token, so the
// token does not appear in the process list.
const MCPTokenEnv = "KONSOLE_MCP_TOKEN"

// prepareAgent gives each agent the --mcp-config for Konsole's /mcp with
// its session's token, and allows the kontask tools. It runs before every
// start, so it sees the URL Konsole listens on (known only after Start).
func (s *Server) prepareAgent(sessionID string, opts *claude.Options) {
	url := s.mcpURL()
	if url == "" {
		s.lg.Warn("Konsole is not listening yet; the agent starts without the kontask tools", "session", sessionID)
		return
	}
	cfg := map[string]any{"mcpServers": map[string]any{kontask.ServerName: map[string]any{
		"type": "http", "url": url,
		"headers": map[string]string{"Authorization": "Bearer ${" + MCPTokenEnv + "}"},
		// Claude Code defers MCP tools behind its ToolSearch tool, where an
		// agent would not think of looking for kontask_create: load it up front.
		"alwaysLoad": true,
	}}}
	b, _ := json.Marshal(cfg)
	opts.MCPConfig = string(b)
	opts.AllowedTools = append(opts.AllowedTools, kontask.ClaudeTools...)
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	opts.Env = append(withoutVars(env, secretVars...), MCPTokenEnv+"="+s.mcpKeys.token(sessionID))
}

// secretVars are never passed on to an agent: with Konsole's own token an
// agent could answer its own permission requests.
var secretVars = []string{MCPTokenEnv, "KONSOLE_TOKEN", "KONUI_TOKEN"}

func withoutVars(env []string, names ...string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}

// startAgentMCP serves /mcp alone, in plain http on a loopback port, for
// the agents of a Konsole that serves TLS: its certificate names the host
// remote clients use, which the agent (Node.js) would not accept for
// 127.0.0.1, and a private CA is not in Node's trust store either.
func (s *Server) startAgentMCP() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("failed to listen on loopback for the agents' MCP endpoint: %w", err)
	}
	api := s.Handler()
	onlyMCP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mcp" {
			writeError(w, errorf(http.StatusNotFound, CodeNotFound, "only /mcp is served here; the API is at %s", s.URL()))
			return
		}
		api.ServeHTTP(w, r)
	})
	srv := httpguard.NewServer(onlyMCP, slog.NewLogLogger(s.lg.Handler(), slog.LevelDebug))
	ln = httpguard.Limit(ln, s.cfg.MaxConns)
	s.urlMu.Lock()
	s.agentLn, s.agentHTTP = ln, srv
	s.urlMu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.lg.Error("konsole stopped serving the agents' MCP endpoint", "err", err)
		}
	}()
	return nil
}

// mcpURL is where the agents reach /mcp: Konsole's own address, with a
// wildcard host replaced by loopback (the agents run on this machine), or
// the loopback endpoint of startAgentMCP when Konsole serves TLS.
func (s *Server) mcpURL() string {
	s.urlMu.Lock()
	defer s.urlMu.Unlock()
	if s.agentLn != nil {
		return "http://" + s.agentLn.Addr().String() + "/mcp"
	}
	if s.ln == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(s.ln.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/mcp"
}

// mcpCaller is who calls a tool: an agent's session, or (with Konsole's
// main token) an operator outside any session.
type mcpCaller struct {
	sessionID string
}

func (s *Server) callerOf(req *mcp.CallToolRequest) mcpCaller {
	if req.Extra == nil || req.Extra.Header == nil {
		return mcpCaller{}
	}
	tok, _ := strings.CutPrefix(req.Extra.Header.Get("Authorization"), "Bearer ")
	if id, ok := s.mcpKeys.session(strings.TrimSpace(tok)); ok {
		return mcpCaller{sessionID: id}
	}
	return mcpCaller{}
}

// mcpHandler serves MCP over streamable HTTP, stateless: every request
// stands alone, so nothing is kept per MCP session and an agent restart
// needs no cleanup. Authentication happens before it (authenticate).
func (s *Server) mcpHandler() http.Handler {
	srv := mcp.NewServer(&mcp.Implementation{Name: kontask.ServerName, Title: "Konsole", Version: s.cfg.Version},
		&mcp.ServerOptions{Instructions: "Konsole delivers kontasks (result cards with choices) to the user of this session.",
			// The tool list never changes, so say so: advertising listChanged
			// invites every agent to open a subscriptions/listen stream it
			// then waits on before its first turn.
			Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{}}})
	srv.AddTool(&mcp.Tool{Name: kontask.ToolCreate, Description: kontask.CreateDescription, InputSchema: kontask.CreateSchema,
		Annotations: &mcp.ToolAnnotations{Title: "Deliver a kontask"}}, s.toolCreate)
	// The rarely needed tools stay behind Claude Code's ToolSearch.
	deferred := mcp.Meta{"anthropic/alwaysLoad": false}
	srv.AddTool(&mcp.Tool{Name: kontask.ToolList, Description: kontask.ListDescription, InputSchema: kontask.ListSchema,
		Annotations: &mcp.ToolAnnotations{Title: "List kontasks", ReadOnlyHint: true}, Meta: deferred}, s.toolList)
	srv.AddTool(&mcp.Tool{Name: kontask.ToolUpdate, Description: kontask.UpdateDescription, InputSchema: kontask.UpdateSchema,
		Annotations: &mcp.ToolAnnotations{Title: "Change a kontask's status"}, Meta: deferred}, s.toolUpdate)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, MaxRequestBodyBytes: MaxKontaskBodyBytes, Logger: s.lg})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Stateless, only POST means anything; say so in Konsole's JSON.
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on /mcp: MCP requests are POSTed (stateless streamable HTTP)", r.Method))
			return
		}
		if err := nameNotification(r, MaxKontaskBodyBytes); err != nil {
			writeError(w, err)
			return
		}
		ew := &mcpErrorWriter{ResponseWriter: w}
		h.ServeHTTP(ew, r)
		ew.finish()
	})
}

// mcpMethodHeader mirrors a JSON-RPC message's method on MCP requests of
// protocol 2026-07-28 and later.
const mcpMethodHeader = "Mcp-Method"

// nameNotification gives a JSON-RPC notification without an Mcp-Method
// header the header of its own method. The 2026-07-28 transport requires
// the header on requests and leaves notifications undefined; the SDK
// refuses both without it, and Claude Code sends its notifications/cancelled
// bare, so a cancellation it means kindly would come back as a 400. Requests
// keep the SDK's check. The body is read (up to limit) and put back.
func nameNotification(r *http.Request, limit int64) error {
	// Only clients of 2026-07-28 and later send the headers the SDK checks:
	// older ones' bodies pass unread.
	if r.Header.Get(mcpMethodHeader) != "" || r.Header.Get("MCP-Protocol-Version") < "2026-07-28" || r.Body == nil {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return errorf(http.StatusBadRequest, CodeBadRequest, "MCP: failed to read the body: %v", err)
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	var msg struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(head, &msg) == nil && msg.ID == nil && msg.Method != "" {
		r.Header.Set(mcpMethodHeader, msg.Method)
	}
	return nil
}

// mcpErrorWriter turns the SDK's own HTTP errors, plain text (a missing
// Accept header, a body over the limit, a malformed JSON-RPC message), into
// Konsole's JSON error with the same status. JSON-RPC answers, errors
// included, pass as they are.
type mcpErrorWriter struct {
	http.ResponseWriter
	status int // a plain-text error held back, 0 when none
	text   []byte
}

func (m *mcpErrorWriter) WriteHeader(status int) {
	if status >= 400 && !strings.HasPrefix(m.Header().Get("Content-Type"), "application/json") {
		m.status = status
		return
	}
	m.ResponseWriter.WriteHeader(status)
}

func (m *mcpErrorWriter) Write(b []byte) (int, error) {
	if m.status == 0 {
		return m.ResponseWriter.Write(b)
	}
	if room := 1024 - len(m.text); room > 0 {
		m.text = append(m.text, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

// Flush passes through for answers, through every wrapper below (an SSE
// answer such as a listen stream's acknowledgement must reach the agent at
// once); a held-back error is written by finish.
func (m *mcpErrorWriter) Flush() {
	if m.status == 0 {
		http.NewResponseController(m.ResponseWriter).Flush()
	}
}

func (m *mcpErrorWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// finish writes the held-back error, if any, as Konsole's JSON error.
func (m *mcpErrorWriter) finish() {
	if m.status == 0 {
		return
	}
	msg := strings.TrimSpace(string(m.text))
	if msg == "" {
		msg = strings.ToLower(http.StatusText(m.status))
	}
	code := map[int]string{
		http.StatusBadRequest: CodeBadRequest, http.StatusNotFound: CodeNotFound,
		http.StatusRequestEntityTooLarge: CodeTooLarge, http.StatusUnsupportedMediaType: CodeUnsupported,
	}[m.status]
	if code == "" {
		code = strings.ReplaceAll(strings.ToLower(http.StatusText(m.status)), " ", "_")
	}
	writeError(m.ResponseWriter, errorf(m.status, code, "MCP: %s", msg))
}

// toolError is a result the agent reads and can act on; nothing changed.
func toolError(format string, args ...any) *mcp.CallToolResult {
	r := &mcp.CallToolResult{}
	r.SetError(fmt.Errorf(format, args...))
	return r
}

// toolText is a result in words. It carries no structured content: Claude
// Code shows the agent the structured content instead of the text when
// both are present.
func toolText(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}

// strictArgs decodes tool arguments, refusing unknown fields so that a
// misspelt field is reported instead of silently dropped.
func strictArgs(raw json.RawMessage, v any, fields string) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return fmt.Errorf("the arguments do not fit the tool's input (%s); the fields are %s", msg, fields)
	}
	return nil
}

// createArgs are kontask_create's arguments: the agent-facing fields of
// kontask.Input (who created it, and in which session and turn, come from
// the credential).
type createArgs struct {
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Output      string           `json:"output"`
	Choices     []kontask.Choice `json:"choices"`
	Type        string           `json:"type"`
	Scope       string           `json:"scope"`
	Tags        []string         `json:"tags"`
	Status      string           `json:"status"`
	TargetUser  string           `json:"targetUser"`
}

func (s *Server) toolCreate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var a createArgs
	if err := strictArgs(req.Params.Arguments, &a, "title, description, output, choices, type, scope, tags, status, targetUser"); err != nil {
		return toolError("No kontask was created: %v.", err), nil
	}
	caller := s.callerOf(req)
	if limited := s.limitTool(caller, kontask.ToolCreate); limited != nil {
		return limited, nil
	}
	in := kontask.Input{Title: a.Title, Description: a.Description, Output: a.Output, Choices: a.Choices, Type: a.Type,
		Scope: a.Scope, Tags: a.Tags, Status: a.Status, TargetUser: a.TargetUser, CreatedBy: "mcp", SessionID: caller.sessionID}
	if caller.sessionID != "" {
		in.CreatedBy, in.RequestID = "claude", s.mgr.ActiveTurn(caller.sessionID)
	}
	k, err := s.kontasks.create(in)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status < 500 {
			return toolError("No kontask was created: %s. Fix the input and call %s again.", e.Message, kontask.ToolCreate), nil
		}
		s.lg.Error("failed to create a kontask", "session", caller.sessionID, "err", err)
		return toolError("No kontask was created: Konsole could not store it (%v). Try again later.", err), nil
	}
	return toolText("Kontask %s delivered to the user: %q (%d choices). A choice the user picks comes back to you as their next prompt.",
		k.ID, k.Title, len(k.Context.Choices)), nil
}

type listArgs struct {
	Status string `json:"status"`
	Scope  string `json:"scope"`
	Tag    string `json:"tag"`
	Q      string `json:"q"`
	All    bool   `json:"all"`
	Limit  int    `json:"limit"`
}

// listed is a kontask in kontask_list's answer: no output, choice labels only.
type listed struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"`
	Read      bool     `json:"read"`
	SessionID string   `json:"sessionId,omitempty"`
	CreatedAt string   `json:"createdAt"`
	Choices   []string `json:"choices"`
}

func (s *Server) toolList(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var a listArgs
	if err := strictArgs(req.Params.Arguments, &a, "status, scope, tag, q, all, limit"); err != nil {
		return toolError("%v.", err), nil
	}
	switch a.Status {
	case "", kontask.StatusPending, kontask.StatusCompleted, kontask.StatusDismissed:
	default:
		return toolError("status %q is not one of pending, completed, dismissed.", a.Status), nil
	}
	if a.Limit <= 0 || a.Limit > 50 {
		a.Limit = 20
	}
	q := store.KontaskQuery{Status: a.Status, Scope: a.Scope, Tag: a.Tag, Q: a.Q, Limit: a.Limit}
	caller := s.callerOf(req)
	if limited := s.limitTool(caller, kontask.ToolList); limited != nil {
		return limited, nil
	}
	if caller.sessionID != "" && !a.All {
		q.SessionID = caller.sessionID
	}
	list, page, err := s.kontasks.list(q)
	if err != nil {
		return toolError("Konsole could not read the kontasks: %v.", err), nil
	}
	out := make([]listed, 0, len(list))
	for _, k := range list {
		l := listed{ID: k.ID, Title: k.Title, Status: k.Status, Read: k.ReadAt != nil, SessionID: k.SessionID,
			CreatedAt: k.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), Choices: []string{}}
		for _, c := range k.Context.Choices {
			l.Choices = append(l.Choices, c.Label)
		}
		out = append(out, l)
	}
	b, _ := json.Marshal(map[string]any{"kontasks": out, "total": page.Total})
	return toolText("%s", b), nil
}

type updateArgs struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (s *Server) toolUpdate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var a updateArgs
	if err := strictArgs(req.Params.Arguments, &a, "id, status"); err != nil {
		return toolError("Nothing was changed: %v.", err), nil
	}
	if a.ID == "" || a.Status == "" {
		return toolError("Nothing was changed: id and status are both required."), nil
	}
	caller := s.callerOf(req)
	if limited := s.limitTool(caller, kontask.ToolUpdate); limited != nil {
		return limited, nil
	}
	k, err := s.kontasks.update(a.ID, kontask.Patch{Status: &a.Status}, func(k kontask.Kontask) error {
		if caller.sessionID != "" && k.SessionID != caller.sessionID {
			return errorf(http.StatusForbidden, CodeBadRequest, "kontask %s belongs to another session; only the session that created a kontask can change it", k.ID)
		}
		return nil
	})
	if err != nil {
		return toolError("Nothing was changed: %s.", asError(err).Message), nil
	}
	return toolText("Kontask %s is now %s.", k.ID, k.Status), nil
}
