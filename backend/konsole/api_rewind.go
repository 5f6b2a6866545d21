package konsole

import (
	"net/http"

	"github.com/konui/konui/backend/konsole/sessions"
)

// rewindRoutes are a session's checkpoints and its rewind to one of its
// prompts (issue 28): the folder, the conversation, or both.
func (s *Server) rewindRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/sessions/{id}/checkpoints", func(w http.ResponseWriter, r *http.Request) {
		list, err := s.mgr.Checkpoints(r.PathValue("id"))
		reply(w, http.StatusOK, map[string]any{"checkpoints": list}, err)
	})
	route("POST", "/v1/sessions/{id}/rewind", func(w http.ResponseWriter, r *http.Request) {
		var req sessions.RewindRequest
		if !decode(w, r, &req) || s.refuseWhileStorageFails(w) {
			return
		}
		res, err := s.mgr.Rewind(r.PathValue("id"), req)
		reply(w, http.StatusOK, res, err)
	})
}
