package bridge

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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

// tagged returns a JSON object with "konsoleId" added as its last member:
// a parser keeps the last of two equal keys, so a Konsole cannot name
// another Konsole for its own items.
func tagged(obj json.RawMessage, konsoleID string) json.RawMessage {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return obj
	}
	body := bytes.TrimSpace(obj[1 : len(obj)-1])
	out := make([]byte, 0, len(obj)+len(konsoleID)+16)
	out = append(out, '{')
	out = append(out, body...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"konsoleId":`...)
	out = append(out, mustJSON(konsoleID)...)
	return append(out, '}')
}

// item is one element of a merged list with what it is ordered by.
type item struct {
	raw json.RawMessage
	at  time.Time
}

// items reads the list under key of each share, tagging every element
// with its Konsole and noting its id in the index under kind.
func (b *Bridge) items(got []share, key, timeField string, kind itemKind, index bool) [][]item {
	out := make([][]item, 0, len(got))
	for _, s := range got {
		var body map[string]json.RawMessage
		// a Konsole's answer that does not decode lists nothing.
		_ = json.Unmarshal(s.raw, &body)
		var list []json.RawMessage
		_ = json.Unmarshal(body[key], &list)
		its := make([]item, 0, len(list))
		for _, el := range list {
			var head map[string]json.RawMessage
			if json.Unmarshal(el, &head) != nil {
				continue
			}
			var at time.Time
			// a missing or malformed time or id reads as zero: the item sorts last and is not indexed.
			_ = json.Unmarshal(head[timeField], &at)
			var id string
			_ = json.Unmarshal(head["id"], &id)
			if index && id != "" {
				b.index.claim(kind, id, s.k.spec.ID)
			}
			its = append(its, item{raw: tagged(el, s.k.spec.ID), at: at})
		}
		out = append(out, its)
	}
	return out
}

func raws(its []item) []json.RawMessage {
	out := make([]json.RawMessage, len(its))
	for i, it := range its {
		out[i] = it.raw
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
	all := slices.Concat(b.items(got, "sessions", "createdAt", kindSession, true)...)
	slices.SortStableFunc(all, func(a, c item) int { return a.at.Compare(c.at) })
	httpjson.Write(w, http.StatusOK, map[string]any{"sessions": raws(all), "unavailable": unavailable})
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

// mergedCursor is the nextCursor of a merged kontask list: each Konsole's
// own cursor, by Konsole id, base64url of its JSON.
func encodeCursor(c map[string]string) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (map[string]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c map[string]string
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || len(c) == 0 {
		return nil, badRequest("cursor is not one the bridge gave out (pass back nextCursor as it is)")
	}
	return c, nil
}

// listKontasks merges every Konsole's kontasks, newest first. A page holds
// up to limit kontasks of each Konsole; nextCursor continues every
// Konsole that has more.
func (b *Bridge) listKontasks(w http.ResponseWriter, r *http.Request) {
	var only map[string]string
	if c := r.URL.Query().Get("cursor"); c != "" {
		var err error
		if only, err = decodeCursor(c); err != nil {
			writeError(w, err)
			return
		}
	}
	got, unavailable, err := b.gather(r.Context(), "/v1/kontasks", forwardQuery(r, "cursor"), only)
	if err != nil {
		writeMergeError(w, err, unavailable)
		return
	}
	all := slices.Concat(b.items(got, "kontasks", "createdAt", kindKontask, true)...)
	slices.SortStableFunc(all, func(a, c item) int { return c.at.Compare(a.at) })
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
	out := map[string]any{"kontasks": raws(all), "total": total, "unavailable": unavailable}
	if len(next) > 0 {
		out["nextCursor"] = encodeCursor(next)
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
	lists := b.items(got, "hits", "at", kindSession, false)
	hits := []json.RawMessage{}
	for i := 0; len(hits) < limit; i++ {
		more := false
		for _, l := range lists {
			if i < len(l) && len(hits) < limit {
				hits = append(hits, l[i].raw)
				more = true
			}
		}
		if !more {
			break
		}
	}
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
	httpjson.WriteRaw(w, http.StatusCreated, tagged(sess, k.spec.ID))
}
