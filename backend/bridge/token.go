package bridge

import (
	"net/http"

	"github.com/konui/konui/backend/shared/httpjson"
)

// tokenRoutes: POST /api/konsoles/{id}/token gives the local Konsole (the
// one in this process) a new token, the dashboard's way to do what
// `konui konsole --rotate-token` does for a Konsole of its own, after an
// agent saw the old one (403 token_exposed). The new token goes to this
// bridge only; it is never in the answer.
func (b *Bridge) tokenRoutes(mux *http.ServeMux) {
	mux.Handle("POST /api/konsoles/{id}/token", b.guard(http.HandlerFunc(b.rotateToken)))
}

// CodeNotRotatable: the Konsole's token cannot be replaced from here (it
// is another process's, on this machine or another).
const CodeNotRotatable = "not_rotatable"

func (b *Bridge) rotateToken(w http.ResponseWriter, r *http.Request) {
	id, k := b.konsoleOfPath(w, r)
	if k == nil {
		return
	}
	if id != LocalID || k.spec.Kind != "local" || b.cfg.RotateLocal == nil {
		httpjson.Error(w, http.StatusConflict, CodeNotRotatable,
			"this Konsole's token is kept where it runs: run `konui konsole --rotate-token` there, then pair this bridge with it again")
		return
	}
	tok, err := b.cfg.RotateLocal()
	if err != nil {
		httpjson.Error(w, http.StatusInternalServerError, CodeInternal, "failed to give the Konsole a new token: "+err.Error())
		return
	}
	k.epMu.Lock()
	k.token = tok
	k.epMu.Unlock()
	// The stream opened with the old token was ended by Konsole; the next
	// attempt uses the new one at once rather than after a backoff.
	k.up.RetryNow()
	httpjson.Write(w, http.StatusOK, map[string]any{"konsole": b.info(id), "rotated": true})
}
