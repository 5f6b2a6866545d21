package konsole

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/auth"
	"github.com/konui/konui/backend/shared/httpguard"
	"github.com/konui/konui/backend/shared/httpjson"
	"github.com/konui/konui/backend/shared/textclip"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc) {
		mux.HandleFunc(method+" "+path, h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok", "version": s.cfg.Version, "agent": agentHealth(s.Agent())})
	})
	route("POST", "/v1/sessions", s.createSession)
	route("GET", "/v1/sessions", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"sessions": s.mgr.List()})
	})
	route("GET", "/v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.mgr.Get(r.PathValue("id"))
		reply(w, http.StatusOK, sess, err)
	})
	route("PATCH", "/v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		var p sessions.SessionPatch
		if !decode(w, r, &p) {
			return
		}
		sess, err := s.mgr.Update(r.PathValue("id"), p)
		reply(w, http.StatusOK, sess, err)
	})
	route("DELETE", "/v1/sessions/{id}", func(w http.ResponseWriter, r *http.Request) {
		// The agent's MCP token dies with the session, before its process.
		s.kontasks.Revoke(r.PathValue("id"))
		if err := s.mgr.End(r.PathValue("id")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	route("GET", "/v1/sessions/{id}/messages", s.messages)
	route("GET", "/v1/sessions/{id}/permissions", func(w http.ResponseWriter, r *http.Request) {
		perms, err := s.mgr.Permissions(r.PathValue("id"))
		reply(w, http.StatusOK, map[string]any{"permissions": perms}, err)
	})
	route("POST", "/v1/sessions/{id}/prompt", s.prompt)
	route("POST", "/v1/sessions/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
		tid, err := s.mgr.Stop(r.PathValue("id"))
		reply(w, http.StatusOK, map[string]any{"turnId": tid, "stopped": true}, err)
	})
	route("POST", "/v1/sessions/{id}/permissions/{requestId}", func(w http.ResponseWriter, r *http.Request) {
		var a sessions.PermissionAnswer
		if !decode(w, r, &a) {
			return
		}
		err := s.mgr.Answer(r.PathValue("id"), r.PathValue("requestId"), a)
		reply(w, http.StatusOK, map[string]any{"requestId": r.PathValue("requestId"), "behavior": a.Behavior}, err)
	})
	route("GET", "/v1/events", s.events)
	s.agentRoutes(route)
	s.kontaskRoutes(route)
	s.consoleRoutes(route)
	s.historyRoutes(route)
	s.worktreeRoutes(route)
	s.findRoutes(route)
	s.autoDenyRoutes(route)
	s.ruleRoutes(route)
	s.rewindRoutes(route)
	mux.Handle("/mcp", s.kontasks.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, apierror.CodeNotFound, "no route %s %s", r.Method, r.URL.Path))
	})
	guarded := s.agents.Wrap(s.authenticate(s.refuseExposed(refuseBrowsers(methodNotAllowedJSON(mux)))))
	return s.logRequests(httpguard.Hosts(s.allowedHosts(), httpguard.BodyDeadline(guarded, 0, httpguard.IsStream)))
}

// allowedHosts are the Host names Konsole answers to: loopback, its listen
// host, and the names of its certificate.
func (s *Server) allowedHosts() []string {
	host, _, _ := net.SplitHostPort(s.cfg.Listen)
	var certs []*tls.Certificate
	if c, err := httpguard.LoadCert(s.cfg.TLSCert, s.cfg.TLSKey); err == nil && c != nil {
		certs = append(certs, c)
	}
	return httpguard.AllowedHosts(host, certs...)
}

// refuseBrowsers keeps browsers out of the API, which serves no pages: a
// request with an Origin other than Konsole's own is refused (the bridge
// sends none), and a body must say it is JSON, which a cross-site form
// cannot.
func refuseBrowsers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r) {
			writeError(w, errorf(http.StatusForbidden, "forbidden_origin", "requests from the origin %q are not allowed: Konsole serves no pages", textclip.Head(o, 100)))
			return
		}
		if r.ContentLength != 0 && r.Method != http.MethodGet && r.Method != http.MethodHead {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeError(w, errorf(http.StatusUnsupportedMediaType, apierror.CodeUnsupported, "a request body must be sent as Content-Type: application/json, not %q", textclip.Head(r.Header.Get("Content-Type"), 100)))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin tells whether origin is the scheme and host r was sent to.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Path != "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && strings.EqualFold(u.Host, r.Host)
}

// methodNotAllowedJSON keeps the mux's 405 answers JSON like every other
// error, with an Allow header that names every method the path takes.
func methodNotAllowedJSON(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "/" || pattern == "" {
			probe := r.Clone(r.Context())
			var allowed []string
			for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
				probe.Method = m
				if _, p := mux.Handler(probe); p != "" && p != "/" {
					allowed = append(allowed, m)
				}
			}
			if len(allowed) > 0 {
				w.Header().Set("Allow", strings.Join(allowed, ", "))
				writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path))
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// authenticate checks the token, however it arrives, and hands it on in
// one place only: the Authorization header, which is where the MCP tools
// learn who calls (callerOf). A session token sent as ?token= is therefore
// the same caller as one sent in the header.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every request, /healthz too, looks whether the token file was
		// replaced (konui konsole --rotate-token asks /healthz once).
		current, gen := s.tokenGen()
		if r.URL.Path == "/healthz" {
			next.ServeHTTP(w, r)
			return
		}
		tok := auth.FromRequest(r)
		main := auth.Equal(tok, current)
		if !main && !(r.URL.Path == "/mcp" && s.kontasks.ValidToken(tok)) {
			writeError(w, errorf(http.StatusUnauthorized, apierror.CodeUnauthorized, "a valid token is required (Authorization: Bearer TOKEN or ?token=TOKEN)"))
			return
		}
		if main {
			// A stream opened with this token ends when it is replaced.
			var done context.CancelFunc
			r, done = endWithToken(r, gen)
			defer done()
		}
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+tok)
		if q := r.URL.Query(); q.Has("token") {
			q.Del("token")
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter notes the status of an answer and when it reached the
// client: at its first flush (a stream: SSE, an MCP listen) or when the
// handler returns. A long-lived stream is answered at once though the
// request lasts, and the log tells the two apart.
type statusWriter struct {
	http.ResponseWriter
	status   int
	wrote    bool
	answered time.Time
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

// Flush lets the streams below reach the client through this writer.
func (w *statusWriter) Flush() {
	if w.answered.IsZero() {
		w.answered = time.Now()
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs method, path, status, how long the first byte of the
// answer took and how long the whole request lasted; never the query,
// which may carry the token. MCP requests also name their JSON-RPC method.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		answered := sw.answered
		if answered.IsZero() {
			answered = time.Now()
		}
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", sw.status,
			"answeredIn", answered.Sub(start), "took", time.Since(start)}
		if m := r.Header.Get(kontaskmcp.MethodHeader); m != "" {
			attrs = append(attrs, "mcpMethod", m)
		}
		level := slog.LevelDebug
		if sw.status >= 400 && sw.status != http.StatusUnauthorized && r.URL.Path == "/mcp" {
			// An agent's MCP client that Konsole refuses loses its tools: worth seeing.
			level = slog.LevelWarn
		}
		s.lg.Log(r.Context(), level, "request", attrs...)
	})
}

func writeError(w http.ResponseWriter, err error) {
	apierror.Write(w, err)
}

func reply(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		writeError(w, err)
		return
	}
	httpjson.Write(w, status, v)
}

// decode reads a JSON body of at most MaxBodyBytes into v, answering the
// error itself when it fails.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeLimit(w, r, v, MaxBodyBytes)
}

// decodeLimit is decode with another size limit.
func decodeLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, errorf(http.StatusUnsupportedMediaType, apierror.CodeUnsupported, "the body must be application/json, not %q", ct))
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			writeError(w, errorf(http.StatusRequestEntityTooLarge, apierror.CodeTooLarge, "the body is larger than %d bytes", limit))
		case err.Error() == "EOF":
			writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "a JSON body is required"))
		default:
			writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "%s", httpjson.DecodeError(err)))
		}
		return false
	}
	if dec.More() {
		writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "malformed JSON: more than one value in the body"))
		return false
	}
	return true
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var req sessions.CreateRequest
	if !decode(w, r, &req) || s.refuseWhileStorageFails(w) {
		return
	}
	sess, err := s.mgr.Create(req)
	gitReply(w, http.StatusCreated, sess, err)
}

func wantsStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func (s *Server) prompt(w http.ResponseWriter, r *http.Request) {
	var req sessions.PromptRequest
	if !decodePrompt(w, r, &req) || s.refuseWhileStorageFails(w) {
		return
	}
	var sub *eventlog.Subscription
	if wantsStream(r) {
		var err error
		if sub, err = s.log.Subscribe(-1); err != nil {
			writeError(w, err)
			return
		}
	}
	if req.WhenBusy != "" && req.WhenBusy != "queue" && req.WhenBusy != "refuse" {
		if sub != nil {
			sub.Close()
		}
		writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "whenBusy %q is not \"queue\" or \"refuse\"", req.WhenBusy))
		return
	}
	out, err := s.mgr.PromptOrQueue(r.PathValue("id"), req)
	tid := out.TurnID
	if err != nil || sub == nil || out.Duplicate || out.Queued {
		if sub != nil {
			sub.Close()
		}
		if out.Queued {
			reply(w, http.StatusAccepted, out, err)
			return
		}
		reply(w, http.StatusAccepted, map[string]any{"turnId": tid, "duplicate": out.Duplicate}, err)
		return
	}
	mine := func(row store.EventRow) bool { return row.TurnID == tid }
	done := func(row store.EventRow) bool { return row.Type == contract.EvTurnCompleted && row.TurnID == tid }
	eventlog.Serve(w, r, sub, s.cfg.HeartbeatInterval, mine, done)
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	since, err := eventlog.SinceOf(r)
	if err != nil {
		writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "%v", err))
		return
	}
	sub, err := s.log.Subscribe(since)
	if err != nil {
		writeError(w, err)
		return
	}
	var filter func(store.EventRow) bool
	if sid := r.URL.Query().Get("sessionId"); sid != "" {
		filter = func(row store.EventRow) bool { return row.SessionID == sid }
	}
	eventlog.Serve(w, r, sub, s.cfg.HeartbeatInterval, filter, nil)
}
