package kontaskmcp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
)

// mcpTokenPrefix starts every session MCP token.
const mcpTokenPrefix = "kmcp1."

// mcpKeys makes and checks per-session MCP tokens. A token is the session
// id and the number of the agent start it was issued for, with an HMAC of
// both under a key made when Konsole starts: it proves which session calls,
// is accepted only on /mcp, and holds only while that very agent runs. A
// new start of the session's agent, the session's end and Konsole's own
// end each revoke it.
type mcpKeys struct {
	key []byte
	// live tells whether a session's agent may still call (its session
	// exists and has not ended); nil accepts every session.
	live func(sessionID string) bool

	mu  sync.Mutex
	gen map[string]uint64 // the start each session's current token names
}

func newMCPKeys() *mcpKeys {
	k := make([]byte, 32)
	rand.Read(k)
	return &mcpKeys{key: k, gen: map[string]uint64{}}
}

func (k *mcpKeys) mac(sessionID string, gen uint64) string {
	h := hmac.New(sha256.New, k.key)
	h.Write([]byte("konsole-mcp:" + sessionID + ":" + strconv.FormatUint(gen, 10)))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// token issues the MCP token of a session's next agent start, revoking the
// one issued before.
func (k *mcpKeys) token(sessionID string) string {
	k.mu.Lock()
	k.gen[sessionID]++
	gen := k.gen[sessionID]
	k.mu.Unlock()
	return mcpTokenPrefix + sessionID + "." + strconv.FormatUint(gen, 10) + "." + k.mac(sessionID, gen)
}

// session returns the session a token was made for, if it is genuine and
// not revoked.
func (k *mcpKeys) session(tok string) (string, bool) {
	rest, ok := strings.CutPrefix(tok, mcpTokenPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 {
		return "", false
	}
	j := strings.LastIndexByte(rest[:i], '.')
	if j <= 0 {
		return "", false
	}
	id, mac := rest[:j], rest[i+1:]
	gen, err := strconv.ParseUint(rest[j+1:i], 10, 64)
	if err != nil || !hmac.Equal([]byte(mac), []byte(k.mac(id, gen))) {
		return "", false
	}
	k.mu.Lock()
	current := k.gen[id]
	k.mu.Unlock()
	if gen != current || (k.live != nil && !k.live(id)) {
		return "", false
	}
	return id, true
}

func (k *mcpKeys) valid(tok string) bool {
	_, ok := k.session(tok)
	return ok
}

// revoke ends the current token of a session at once.
func (k *mcpKeys) revoke(sessionID string) {
	k.mu.Lock()
	delete(k.gen, sessionID)
	k.mu.Unlock()
}
