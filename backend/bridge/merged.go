package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/konui/konui/backend/bridge/merge"
	"github.com/konui/konui/backend/shared/httpjson"
)

// mergedRoutes serves the lists that cover every Konsole and the session
// creation that picks one.
func (b *Bridge) mergedRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/sessions", b.guard(http.HandlerFunc(b.listSessions)))
	mux.Handle("POST /api/sessions", b.guard(http.HandlerFunc(b.createSession)))
	mux.Handle("GET /api/kontasks", b.guard(http.HandlerFunc(b.listKontasks)))
	mux.Handle("GET /api/search", b.guard(http.HandlerFunc(b.search)))
}

// share is one Konsole's answer to a merged request.
type share struct {
	k   *konsole
	raw json.RawMessage
	err error
}

// gather asks each Konsole (of only, when not nil) for path?query at once,
// each within MergeTimeout. Those that answered come back in the
// Konsoles' order; the others are named in unavailable. When none
// answered, err is the first Konsole's own error (a bad query is bad on
// every Konsole) or, when none answered at all, konsole_unreachable.
func (b *Bridge) gather(ctx context.Context, path string, query url.Values, only map[string]string) (got []share, unavailable []string, err error) {
	var asked []*konsole
	for _, k := range b.all() {
		if !k.running() {
			continue
		}
		if only != nil {
			if _, ok := only[k.spec.ID]; !ok {
				continue
			}
		}
		asked = append(asked, k)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.MergeTimeout)
	defer cancel()
	shares := make([]share, len(asked))
	done := make(chan int, len(asked))
	for i, k := range asked {
		go func() {
			q := url.Values{}
			for key, v := range query {
				q[key] = v
			}
			if only != nil {
				q.Set("cursor", only[k.spec.ID])
			}
			p := path
			if len(q) > 0 {
				p += "?" + q.Encode()
			}
			raw, err := k.api.do(ctx, "GET", p, nil)
			shares[i] = share{k: k, raw: raw, err: err}
			done <- i
		}()
	}
	for range asked {
		<-done
	}
	var first error
	for _, s := range shares {
		if s.err == nil {
			got = append(got, s)
			continue
		}
		unavailable = append(unavailable, s.k.spec.ID)
		var e *APIError
		if first == nil && errors.As(s.err, &e) && e.Status >= 400 && e.Status < 500 {
			first = s.err
		}
	}
	if unavailable == nil {
		unavailable = []string{}
	}
	if len(got) == 0 && len(asked) > 0 {
		if first == nil {
			first = &APIError{Status: http.StatusBadGateway, Code: CodeKonsoleUnreachable, Message: "no Konsole answered: " + strings.Join(unavailable, ", ")}
		}
		return nil, unavailable, first
	}
	return got, unavailable, nil
}

// forwardQuery is the client's query without what only the bridge reads.
func forwardQuery(r *http.Request, drop ...string) url.Values {
	q := r.URL.Query()
	for _, k := range append(drop, "token", "konsoleId") {
		q.Del(k)
	}
	return q
}

// items reads the list under key of each share, tagging every element
// with its Konsole and, when index is set, noting its id in the index
// under kind.
func (b *Bridge) items(got []share, key, timeField string, kind itemKind, index bool) [][]merge.Item {
	out := make([][]merge.Item, 0, len(got))
	for _, s := range got {
		its := merge.Items(s.raw, key, timeField, s.k.spec.ID)
		if index {
			for _, it := range its {
				if it.ID != "" {
					b.index.claim(kind, it.ID, s.k.spec.ID)
				}
			}
		}
		out = append(out, its)
	}
	return out
}

// listSessions merges every Konsole's sessions, oldest first as each
// Konsole lists them.
func (b *Bridge) listSessions(w http.ResponseWriter, r *http.Request) {
	got, unavailable, err := b.gather(r.Context(), "/v1/sessions", forwardQuery(r), nil)
	if err != nil {
		writeMergeError(w, err, unavailable)
		return
	}
	all := merge.Oldest(b.items(got, "sessions", "createdAt", kindSession, true))
	httpjson.Write(w, http.StatusOK, map[string]any{"sessions": all, "unavailable": unavailable})
}

// writeMergeError answers a merged request that no Konsole answered.
func writeMergeError(w http.ResponseWriter, err error, unavailable []string) {
	var e *APIError
	if errors.As(err, &e) && e.Code == CodeKonsoleUnreachable && e.Status == http.StatusBadGateway {
		httpjson.Write(w, http.StatusBadGateway, map[string]any{"error": e.Message, "code": e.Code, "unavailable": unavailable})
		return
	}
	writeError(w, err)
}

// listKontasks merges every Konsole's kontasks, newest first. A page holds
// up to limit kontasks of each Konsole; nextCursor continues every
// Konsole that has more.
func (b *Bridge) listKontasks(w http.ResponseWriter, r *http.Request) {
	var only map[string]string
	if c := r.URL.Query().Get("cursor"); c != "" {
		var err error
		if only, err = merge.DecodeCursor(c); err != nil {
			writeError(w, badRequest("%s", err.Error()))
			return
		}
	}
	got, unavailable, err := b.gather(r.Context(), "/v1/kontasks", forwardQuery(r, "cursor"), only)
	if err != nil {
		writeMergeError(w, err, unavailable)
		return
	}
	all := merge.Newest(b.items(got, "kontasks", "createdAt", kindKontask, true))
	total := 0
	next := map[string]string{}
	for _, s := range got {
		var page struct {
			Total      int    `json:"total"`
			NextCursor string `json:"nextCursor"`
		}
		// a page that does not decode adds nothing to the total and has no next cursor.
		_ = json.Unmarshal(s.raw, &page)
		total += page.Total
		if page.NextCursor != "" {
			next[s.k.spec.ID] = page.NextCursor
		}
	}
	out := map[string]any{"kontasks": all, "total": total, "unavailable": unavailable}
	if len(next) > 0 {
		out["nextCursor"] = merge.EncodeCursor(next)
	}
	httpjson.Write(w, http.StatusOK, out)
}

// search merges every Konsole's hits, taking each Konsole's best in turn,
// up to limit.
func (b *Bridge) search(w http.ResponseWriter, r *http.Request) {
	got, unavailable, err := b.gather(r.Context(), "/v1/search", forwardQuery(r), nil)
	if err != nil {
		writeMergeError(w, err, unavailable)
		return
	}
	limit := 50
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 {
		limit = n
	}
	hits := merge.Interleave(b.items(got, "hits", "at", kindSession, false), limit)
	httpjson.Write(w, http.StatusOK, map[string]any{"hits": hits, "unavailable": unavailable})
}

// createSession starts a session on the Konsole of the body's "konsoleId"
// (default: the local one, else the first), which it answers with.
func (b *Bridge) createSession(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			httpjson.Error(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json, not "+strconv.Quote(ct))
			return
		}
	}
	const limit = 1 << 20
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "failed to read the body: "+err.Error())
		return
	}
	if len(raw) > limit {
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 1048576 bytes")
		return
	}
	var body map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 {
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "a JSON body is required")
		return
	}
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "the body must be one JSON object")
		return
	}
	var k *konsole
	if v, ok := body["konsoleId"]; ok {
		var id string
		if json.Unmarshal(v, &id) != nil {
			httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "konsoleId must be a string")
			return
		}
		delete(body, "konsoleId")
		if id != "" {
			if k, err = b.named(id); err != nil {
				writeError(w, err)
				return
			}
		}
	}
	if k == nil {
		if k, err = b.chosen(r); err != nil {
			writeError(w, err)
			return
		}
	}
	// No timeout but the client's: a session in a new worktree takes a while.
	sess, err := k.api.do(r.Context(), "POST", "/v1/sessions", json.RawMessage(mustJSON(body)))
	if err != nil {
		writeError(w, err)
		return
	}
	var head struct {
		ID string `json:"id"`
	}
	// a session without an id is not indexed.
	_ = json.Unmarshal(sess, &head)
	if head.ID != "" {
		b.index.put(kindSession, head.ID, k.spec.ID)
	}
	httpjson.WriteRaw(w, http.StatusCreated, merge.Tagged(sess, k.spec.ID))
}
