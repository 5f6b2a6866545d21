package konsole

import (
	"net/http"

	"github.com/konui/konui/backend/konsole/history"
	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/httpjson"
)

// historyRoutes serves the CLI's own conversations: the list, one
// conversation's messages, and forks of Konui sessions. Continuing one is
// POST /v1/sessions with "resume".
func (s *Server) historyRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/history", func(w http.ResponseWriter, r *http.Request) {
		list, err := history.List(s.mgr.AgentHome())
		if err != nil {
			writeError(w, errorf(http.StatusInternalServerError, apierror.CodeInternal, "%v", err))
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"conversations": list})
	})
	route("GET", "/v1/history/{agentSessionId}", func(w http.ResponseWriter, r *http.Request) {
		c, msgs, err := s.mgr.ReadHistory(r.PathValue("agentSessionId"))
		if msgs == nil {
			msgs = []history.Message{}
		}
		reply(w, http.StatusOK, map[string]any{"conversation": c, "messages": msgs}, err)
	})
	route("POST", "/v1/sessions/{id}/fork", func(w http.ResponseWriter, r *http.Request) {
		var req sessions.ForkRequest
		if !decode(w, r, &req) || s.refuseWhileStorageFails(w) {
			return
		}
		sess, err := s.mgr.Fork(r.PathValue("id"), req)
		reply(w, http.StatusCreated, sess, err)
	})
}
