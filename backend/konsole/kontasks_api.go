package konsole

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/httpjson"
)

// Paging of GET /v1/kontasks.
const (
	DefaultKontaskPage = 50
	MaxKontaskPage     = 500
)

func (s *Server) kontaskRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("POST", "/v1/kontasks", s.createKontask)
	route("GET", "/v1/kontasks", s.listKontasks)
	route("GET", "/v1/kontasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		k, err := s.kontasks.Get(r.PathValue("id"))
		reply(w, http.StatusOK, k, err)
	})
	route("PATCH", "/v1/kontasks/{id}", func(w http.ResponseWriter, r *http.Request) {
		var p kontask.Patch
		if !decode(w, r, &p) {
			return
		}
		k, err := s.kontasks.Update(r.PathValue("id"), p, nil)
		reply(w, http.StatusOK, k, err)
	})
}

// createBody is POST /v1/kontasks: the tool's fields plus createdBy,
// sessionId, requestId; output and choices may also come inside "context",
// as in the Kontask shape.
type createBody struct {
	kontask.Input
	Context *struct {
		Output  *string          `json:"output"`
		Choices []kontask.Choice `json:"choices"`
	} `json:"context"`
}

func (s *Server) createKontask(w http.ResponseWriter, r *http.Request) {
	var b createBody
	if !decodeLimit(w, r, &b, kontaskmcp.MaxKontaskBodyBytes) || s.refuseWhileStorageFails(w) {
		return
	}
	in := b.Input
	if c := b.Context; c != nil {
		if (c.Output != nil && in.Output != "") || (c.Choices != nil && in.Choices != nil) {
			writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "give output and choices either at the top level or inside context, not both"))
			return
		}
		if c.Output != nil {
			in.Output = *c.Output
		}
		if c.Choices != nil {
			in.Choices = c.Choices
		}
	}
	if in.CreatedBy == "" {
		in.CreatedBy = "api"
	}
	k, err := s.kontasks.Create(in)
	reply(w, http.StatusCreated, k, s.asStorageError(err))
}

func (s *Server) listKontasks(w http.ResponseWriter, r *http.Request) {
	q, err := kontaskQuery(r)
	if err != nil {
		writeError(w, err)
		return
	}
	list, page, err := s.kontasks.List(q)
	if err != nil {
		writeError(w, err)
		return
	}
	out := map[string]any{"kontasks": list, "total": page.Total}
	if page.Next != nil {
		out["nextCursor"] = encodeCursor(*page.Next)
	}
	httpjson.Write(w, http.StatusOK, out)
}

func badQuery(format string, args ...any) error {
	return errorf(http.StatusBadRequest, apierror.CodeBadRequest, format, args...)
}

// kontaskQuery reads the filters and paging of GET /v1/kontasks.
func kontaskQuery(r *http.Request) (store.KontaskQuery, error) {
	v := r.URL.Query()
	q := store.KontaskQuery{Status: v.Get("status"), Scope: v.Get("scope"), Tag: v.Get("tag"),
		SessionID: v.Get("sessionId"), Q: strings.TrimSpace(v.Get("q")), Limit: DefaultKontaskPage}
	switch q.Status {
	case "", kontask.StatusPending, kontask.StatusCompleted, kontask.StatusDismissed:
	default:
		return q, badQuery("status %q is not one of pending, completed, dismissed", q.Status)
	}
	if utf8.RuneCountInString(q.Q) > 200 {
		return q, badQuery("q is longer than 200 characters")
	}
	switch u := v.Get("unread"); u {
	case "":
	case "true", "false":
		unread := u == "true"
		q.Unread = &unread
	default:
		return q, badQuery("unread must be true or false, not %q", u)
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxKontaskPage {
			return q, badQuery("limit must be an integer from 1 to %d, not %q", MaxKontaskPage, l)
		}
		q.Limit = n
	}
	if c := v.Get("cursor"); c != "" {
		cur, err := decodeCursor(c)
		if err != nil {
			return q, badQuery("cursor %q is not one this API gave out: pass the nextCursor of the previous page", c)
		}
		q.After = &cur
	}
	return q, nil
}

// A cursor is opaque to clients: the creation time and id of the last
// kontask of a page, base64url-encoded.
func encodeCursor(c store.KontaskCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.CreatedAt.UTC().Format(time.RFC3339Nano) + "|" + c.ID))
}

func decodeCursor(s string) (store.KontaskCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.KontaskCursor{}, err
	}
	at, id, ok := strings.Cut(string(b), "|")
	if !ok || id == "" {
		return store.KontaskCursor{}, fmt.Errorf("no id in the cursor")
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return store.KontaskCursor{}, err
	}
	return store.KontaskCursor{CreatedAt: t, ID: id}, nil
}
