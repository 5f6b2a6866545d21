// Package auth holds the token rules shared by Konsole, the bridge and the
// desktop app: how a request presents its token, how tokens are compared,
// how new ones are made, and where a process reads one from (a file or a
// variable, never argv: tokenfile.go).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// Equal compares a presented token with the expected one in constant time
// (over fixed-length digests, so the length does not leak either). An empty
// expected token never matches.
func Equal(got, want string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1 && want != ""
}

// FromRequest returns the token of r: a Bearer header, else ?token=.
func FromRequest(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return r.URL.Query().Get("token")
}

// NewToken returns a random 256-bit token in hex.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}
