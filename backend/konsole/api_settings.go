package konsole

import (
	"net/http"

	"github.com/konui/konui/backend/konsole/sessions"
)

// autoDenyRoutes serve Konsole's auto-deny setting (sessions.AutoDeny).
func (s *Server) autoDenyRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/settings/auto-deny", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, s.mgr.AutoDeny(), nil)
	})
	route("PUT", "/v1/settings/auto-deny", func(w http.ResponseWriter, r *http.Request) {
		var v sessions.AutoDeny
		if !decode(w, r, &v) {
			return
		}
		out, err := s.mgr.SetAutoDeny(v)
		reply(w, http.StatusOK, out, s.asStorageError(err))
	})
}

// ruleRoutes list a session's rules and remove one (sessions.Rule).
func (s *Server) ruleRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/sessions/{id}/rules", func(w http.ResponseWriter, r *http.Request) {
		rules, err := s.mgr.Rules(r.PathValue("id"))
		reply(w, http.StatusOK, map[string]any{"rules": rules}, err)
	})
	route("DELETE", "/v1/sessions/{id}/rules/{tool}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.mgr.RemoveRule(r.PathValue("id"), r.PathValue("tool")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
