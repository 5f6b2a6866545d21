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

	"github.com/konui/konui/backend/auth"
)

// CodeTokenExposed answers a permission decision made with a token that an
// agent has had in its hands.
const CodeTokenExposed = "token_exposed"

// exposedFile lists, one SHA-256 a line, the tokens that appeared in an
// agent's output; it is kept across restarts since the token file is.
const exposedFile = "exposed-tokens"

// exposure remembers whether Konsole's token appeared in what an agent
// read or wrote (a tool result, a tool input). An agent runs as Konsole's
// user and may read the token file; once it has, the token could answer
// the agent's own permission requests, so permission answers made with it
// are refused until Konsole gets a new token.
type exposure struct {
	path  string
	token []byte

	mu      sync.Mutex
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

// watch looks for the token in an agent's message; it returns true the
// first time it finds it.
func (e *exposure) watch(content []byte) bool {
	if len(e.token) == 0 || !bytes.Contains(content, e.token) {
		return false
	}
	d := digest(string(e.token))
	e.mu.Lock()
	seen := e.exposed[d]
	e.exposed[d] = true
	e.mu.Unlock()
	if seen {
		return false
	}
	f, err := os.OpenFile(e.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err == nil {
		f.WriteString(d + "\n")
		f.Close()
	}
	return true
}

func (e *exposure) isExposed(tok string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.exposed[digest(tok)]
}

// refuseExposed keeps permission answers from a token an agent has seen.
func (s *Server) refuseExposed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.exposure.isExposed(auth.FromRequest(r)) {
			writeError(w, errorf(http.StatusForbidden, CodeTokenExposed,
				"Konsole's token appeared in an agent's output, so the agent may hold it: permission answers made with it are refused. Give Konsole a new token (delete its token file, or set another) and restart it"))
			return
		}
		next(w, r)
	}
}

// watchAgentOutput is the Manager's hook on every agent message.
func (s *Server) watchAgentOutput(sessionID string, content []byte) {
	if s.exposure.watch(content) {
		s.lg.Error("Konsole's token appeared in an agent's output: permission answers with it are refused until Konsole has a new token", "session", sessionID)
	}
}
