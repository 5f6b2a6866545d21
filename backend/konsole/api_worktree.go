package konsole

import (
	"errors"
	"net/http"

	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/konsole/worktree"
	"github.com/konui/konui/backend/shared/httpjson"
)

// worktreeRoutes are a session's changes and the finishing of its
// worktree: commit, merge into the base, discard.
func (s *Server) worktreeRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/sessions/{id}/changes", func(w http.ResponseWriter, r *http.Request) {
		c, err := s.mgr.Changes(r.Context(), r.PathValue("id"))
		gitReply(w, http.StatusOK, c, err)
	})
	route("GET", "/v1/sessions/{id}/changes/diff", func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Query().Get("path")
		d, err := s.mgr.ChangeDiff(r.Context(), r.PathValue("id"), path)
		if err != nil {
			gitReply(w, http.StatusOK, nil, err)
			return
		}
		writeDiff(w, path, d, worktree.MaxDiffBytes)
	})
	route("POST", "/v1/sessions/{id}/worktree/commit", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Message string `json:"message"`
			Confirm bool   `json:"confirm"`
		}
		if !decode(w, r, &body) {
			return
		}
		c, err := s.mgr.CommitWorktree(r.Context(), r.PathValue("id"), body.Message, body.Confirm)
		gitReply(w, http.StatusOK, map[string]any{"commit": c}, err)
	})
	route("POST", "/v1/sessions/{id}/worktree/merge", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Confirm bool `json:"confirm"`
		}
		if !decode(w, r, &body) {
			return
		}
		res, err := s.mgr.MergeWorktree(r.Context(), r.PathValue("id"), body.Confirm)
		gitReply(w, http.StatusOK, res, err)
	})
	route("GET", "/v1/sessions/{id}/worktree/pr", func(w http.ResponseWriter, r *http.Request) {
		st, err := s.mgr.PRAvailable(r.Context(), r.PathValue("id"))
		gitReply(w, http.StatusOK, st, err)
	})
	route("POST", "/v1/sessions/{id}/worktree/pr", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Title   string `json:"title"`
			Body    string `json:"body"`
			Confirm bool   `json:"confirm"`
		}
		if !decode(w, r, &body) {
			return
		}
		u, err := s.mgr.OpenPR(r.Context(), r.PathValue("id"), body.Title, body.Body, body.Confirm)
		gitReply(w, http.StatusCreated, map[string]any{"url": u}, err)
	})
	route("POST", "/v1/sessions/{id}/worktree/discard", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Confirm bool `json:"confirm"`
		}
		if !decode(w, r, &body) {
			return
		}
		sess, err := s.mgr.DiscardWorktree(r.Context(), r.PathValue("id"), body.Confirm)
		gitReply(w, http.StatusOK, map[string]any{"session": sess}, err)
	})
}

// gitReply is reply that keeps the files and commits of a worktree error.
func gitReply(w http.ResponseWriter, status int, v any, err error) {
	var we *sessions.WorktreeError
	if errors.As(err, &we) {
		httpjson.Write(w, we.Status, we)
		return
	}
	reply(w, status, v, err)
}
