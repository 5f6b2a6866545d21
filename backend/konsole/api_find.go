package konsole

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/httpjson"
)

// Limits of the find routes.
const (
	MaxPageMessages = 1000 // limit of GET /v1/sessions/{id}/messages
	MaxSearchHits   = 200  // limit of GET /v1/search
	MaxSearchQuery  = 500  // characters of q
	MaxUsageRange   = 5 * 366 * 24 * time.Hour
)

// findRoutes are the routes that find what was said and spent: usage,
// search and export (paging is GET /v1/sessions/{id}/messages).
func (s *Server) findRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/usage", s.usage)
	route("GET", "/v1/search", s.search)
	route("GET", "/v1/sessions/{id}/export", s.export)
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, format, args...))
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s must be a whole number from %d to %d, not %q", name, lo, hi, v)
	}
	return n, nil
}

// messages answers a session's transcript: all of it oldest first, or,
// with before or limit, one page newest first.
func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	if !q.Has("before") && !q.Has("limit") {
		msgs, err := s.mgr.Messages(id)
		reply(w, http.StatusOK, map[string]any{"messages": msgs}, err)
		return
	}
	before, err := intParam(r, "before", 0, 1, 1<<62)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	limit, err := intParam(r, "limit", 100, 1, MaxPageMessages)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	// Flushed first: the page holds every message of the events a client saw.
	if err := s.mgr.Flush(id); err != nil {
		writeError(w, err)
		return
	}
	page, more, err := s.st.MessagesBefore(id, before, int(limit))
	reply(w, http.StatusOK, map[string]any{"messages": page, "hasMore": more}, err)
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := time.Parse(time.RFC3339, q.Get("from"))
	if err != nil {
		badRequest(w, "from must be an RFC 3339 time, not %q", q.Get("from"))
		return
	}
	to, err := time.Parse(time.RFC3339, q.Get("to"))
	if err != nil {
		badRequest(w, "to must be an RFC 3339 time, not %q", q.Get("to"))
		return
	}
	if !to.After(from) || to.Sub(from) > MaxUsageRange {
		badRequest(w, "to must be after from, and at most five years later")
		return
	}
	group := q.Get("groupBy")
	if group == "" {
		group = "day"
	}
	if group != "day" && group != "session" {
		badRequest(w, `groupBy must be "day" or "session", not %q`, group)
		return
	}
	s.mgr.FlushAll() // every turn a client saw end is counted
	rows, err := s.st.Usage(from, to, group == "session")
	reply(w, http.StatusOK, map[string]any{"rows": rows}, err)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if store.MatchQuery(q) == "" {
		badRequest(w, "q must hold a word to search for")
		return
	}
	if len([]rune(q)) > MaxSearchQuery {
		badRequest(w, "q must be at most %d characters", MaxSearchQuery)
		return
	}
	limit, err := intParam(r, "limit", 50, 1, MaxSearchHits)
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	s.mgr.FlushAll() // every message a client saw can be found
	hits, err := s.st.Search(q, int(limit))
	reply(w, http.StatusOK, map[string]any{"hits": hits}, err)
}

func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "md"
	}
	if format != "md" && format != "json" {
		badRequest(w, `format must be "md" or "json", not %q`, format)
		return
	}
	sess, err := s.mgr.Get(r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	msgs, err := s.mgr.Messages(sess.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	name := sessions.ExportName(sess) + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if format == "json" {
		httpjson.Write(w, http.StatusOK, map[string]any{"session": sess, "messages": msgs})
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(sessions.Markdown(sess, msgs))
}
