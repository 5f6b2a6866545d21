package kontaskmcp

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/shared/apierror"
)

// MaxKontaskBodyBytes bounds a kontask creation, over MCP and REST: room
// for 1 MiB of output however it is escaped, so that an oversized output
// gets the validation's sentence rather than a bare 413.
const MaxKontaskBodyBytes = 8 << 20

// mcpCaller is who calls a tool: an agent's session, or (with Konsole's
// main token) an operator outside any session.
type mcpCaller struct {
	sessionID string
}

func (s *Service) callerOf(req *mcp.CallToolRequest) mcpCaller {
	if req.Extra == nil || req.Extra.Header == nil {
		return mcpCaller{}
	}
	tok, _ := strings.CutPrefix(req.Extra.Header.Get("Authorization"), "Bearer ")
	if id, ok := s.keys.session(strings.TrimSpace(tok)); ok {
		return mcpCaller{sessionID: id}
	}
	return mcpCaller{}
}

// Handler serves MCP over streamable HTTP, stateless: every request
// stands alone, so nothing is kept per MCP session and an agent restart
// needs no cleanup. Authentication happens before it: the caller lets
// through Konsole's token or one that ValidToken accepts.
func (s *Service) Handler() http.Handler {
	srv := mcp.NewServer(&mcp.Implementation{Name: kontask.ServerName, Title: "Konsole", Version: s.version},
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
			apierror.Write(w, apierror.New(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on /mcp: MCP requests are POSTed (stateless streamable HTTP)", r.Method))
			return
		}
		if err := nameNotification(r, MaxKontaskBodyBytes); err != nil {
			apierror.Write(w, err)
			return
		}
		ew := &mcpErrorWriter{ResponseWriter: w}
		h.ServeHTTP(ew, r)
		ew.finish()
	})
}

// MethodHeader mirrors a JSON-RPC message's method on MCP requests of
// protocol 2026-07-28 and later.
const MethodHeader = "Mcp-Method"

// nameNotification gives a JSON-RPC notification without an Mcp-Method
// header the header of its own method. The 2026-07-28 transport requires
// the header on requests and leaves notifications undefined; the SDK
// refuses both without it, and Claude Code sends its notifications/cancelled
// bare, so a cancellation it means kindly would come back as a 400. Requests
// keep the SDK's check. The body is read (up to limit) and put back.
func nameNotification(r *http.Request, limit int64) error {
	// Only clients of 2026-07-28 and later send the headers the SDK checks:
	// older ones' bodies pass unread.
	if r.Header.Get(MethodHeader) != "" || r.Header.Get("MCP-Protocol-Version") < "2026-07-28" || r.Body == nil {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "MCP: failed to read the body: %v", err)
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
		r.Header.Set(MethodHeader, msg.Method)
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
		http.StatusBadRequest: apierror.CodeBadRequest, http.StatusNotFound: apierror.CodeNotFound,
		http.StatusRequestEntityTooLarge: apierror.CodeTooLarge, http.StatusUnsupportedMediaType: apierror.CodeUnsupported,
	}[m.status]
	if code == "" {
		code = strings.ReplaceAll(strings.ToLower(http.StatusText(m.status)), " ", "_")
	}
	apierror.Write(m.ResponseWriter, apierror.New(m.status, code, "MCP: %s", msg))
}
