package konsole

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/konui/konui/backend/shared/auth"
)

// CodeTokenExposed answers a change asked for with a token that an agent
// has had in its hands.
const CodeTokenExposed = "token_exposed"

// RotateHint is how a person gets Konsole a new token, for the refusal.
const RotateHint = "run `konui konsole --rotate-token` where this Konsole runs (the desktop window and `konui serve` have a New token button for their own Konsole), then pair remote bridges again"

// exposedFile lists, one SHA-256 a line, the tokens that appeared in an
// agent's output; it is kept across restarts since the token file is.
const exposedFile = "exposed-tokens"

// exposure remembers whether Konsole's token appeared in what an agent
// read or wrote (a tool result, a tool input). An agent runs as Konsole's
// user and may read the token file; once it has, the token could do
// whatever the person can: answer the agent's own permission requests,
// switch its session to bypassPermissions, start another session in that
// mode. Every change made with it is refused until Konsole gets a new token.
type exposure struct {
	path string

	mu      sync.Mutex
	token   []byte          // the token in use, to look for
	exposed map[string]bool // SHA-256 hex of exposed tokens
}

func loadExposure(dataDir, token string) *exposure {
	e := &exposure{path: filepath.Join(dataDir, exposedFile), token: []byte(token), exposed: map[string]bool{}}
	b, err := os.ReadFile(e.path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return e
	}
	for _, l := range strings.Fields(string(b)) {
		e.exposed[l] = true
	}
	return e
}

func digest(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// setToken makes watch look for a new token.
func (e *exposure) setToken(tok string) {
	e.mu.Lock()
	e.token = []byte(tok)
	e.mu.Unlock()
}

// watch looks for the token in an agent's message; it returns true the
// first time it finds it.
func (e *exposure) watch(content []byte) bool {
	e.mu.Lock()
	tok := e.token
	e.mu.Unlock()
	if len(tok) == 0 || !bytes.Contains(content, tok) {
		return false
	}
	d := digest(string(tok))
	e.mu.Lock()
	seen := e.exposed[d]
	e.exposed[d] = true
	e.mu.Unlock()
	if seen {
		return false
	}
	// Best effort: a record that cannot be written leaves the token known as
	// exposed until the Konsole restarts, and the caller acts on it now.
	f, err := os.OpenFile(e.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err == nil {
		_, _ = f.WriteString(d + "\n")
		_ = f.Close()
	}
	return true
}

func (e *exposure) isExposed(tok string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.exposed[digest(tok)]
}

// changes tells whether a request with an exposed token is refused: every
// request that changes anything. Reads stay open (the token's holder could
// read the same through the agent's own tools), and so does Stop, which
// only takes a running turn away and is the brake a person needs while
// the token is being replaced. /mcp with Konsole's own token creates
// kontasks and is refused whatever its method.
func changes(r *http.Request) bool {
	if r.URL.Path == "/mcp" {
		return true
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	return !(r.Method == http.MethodPost && stopRoute(r.URL.Path))
}

// stopRoute tells whether path is /v1/sessions/{id}/stop.
func stopRoute(path string) bool {
	rest, ok := strings.CutPrefix(path, "/v1/sessions/")
	if !ok {
		return false
	}
	id, tail, ok := strings.Cut(rest, "/")
	return ok && id != "" && tail == "stop"
}

// refuseExposed refuses changes made with Konsole's token once an agent
// has seen it. It runs after authenticate: the token is in the header.
func (s *Server) refuseExposed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := auth.FromRequest(r)
		if changes(r) && auth.Equal(tok, s.Token()) && s.exposure.isExposed(tok) {
			writeError(w, errorf(http.StatusForbidden, CodeTokenExposed,
				"Konsole's token appeared in an agent's output, so the agent may hold it: changes made with it are refused (reads and Stop still work). To get a new token, %s", RotateHint))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// watchAgentOutput is the Manager's hook on every agent message.
func (s *Server) watchAgentOutput(sessionID string, content []byte) {
	if s.exposure.watch(content) {
		s.lg.Error("Konsole's token appeared in an agent's output: changes made with it are refused until Konsole has a new token", "session", sessionID)
	}
}

// TokenExposed tells whether an agent has seen the token in use.
func (s *Server) TokenExposed() bool { return s.exposure.isExposed(s.Token()) }
