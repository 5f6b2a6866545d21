package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/konui/konui/backend/shared/httpjson"
)

// itemKind is what a routed id names.
type itemKind int

const (
	kindSession itemKind = iota
	kindKontask
)

func (k itemKind) String() string {
	if k == kindKontask {
		return "kontask"
	}
	return "session"
}

func (k itemKind) path() string {
	if k == kindKontask {
		return "/v1/kontasks/"
	}
	return "/v1/sessions/"
}

// maxIndexed bounds each index; past it the index starts over (a miss
// costs one fan-out lookup, nothing more).
const maxIndexed = 100_000

// locator remembers which Konsole has a session or a kontask, from the
// lists and events that passed.
type locator struct {
	mu sync.RWMutex
	m  [2]map[string]string
}

func (l *locator) get(kind itemKind, id string) string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.m[kind][id]
}

func (l *locator) put(kind itemKind, id, konsoleID string) {
	if l.get(kind, id) == konsoleID {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m[kind] == nil || len(l.m[kind]) >= maxIndexed {
		l.m[kind] = map[string]string{}
	}
	l.m[kind][id] = konsoleID
}

// claim records konsoleID for id unless another Konsole has it: an event
// cannot take a session from the Konsole the index knows it on (a remote
// Konsole that names a local session's id would otherwise receive its
// prompts).
func (l *locator) claim(kind itemKind, id, konsoleID string) {
	if l.get(kind, id) != "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m[kind] == nil || len(l.m[kind]) >= maxIndexed {
		l.m[kind] = map[string]string{}
	}
	if _, taken := l.m[kind][id]; !taken {
		l.m[kind][id] = konsoleID
	}
}

// forget drops a removed Konsole's entries.
func (l *locator) forget(konsoleID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.m {
		for id, k := range m {
			if k == konsoleID {
				delete(m, id)
			}
		}
	}
}

// kontaskIDOf is the id of the kontask in a kontask.* event.
func kontaskIDOf(raw json.RawMessage) string {
	var e struct {
		Data struct {
			Kontask struct {
				ID string `json:"id"`
			} `json:"kontask"`
			KontaskID string `json:"kontaskId"`
		} `json:"data"`
	}
	// an event that does not decode names no kontask.
	_ = json.Unmarshal(raw, &e)
	if e.Data.Kontask.ID != "" {
		return e.Data.Kontask.ID
	}
	return e.Data.KontaskID
}

// locate finds the Konsole that has a session or kontask: the only one,
// the one the index names, or the first of a lookup on all of them (each
// given MergeTimeout) that has it.
func (b *Bridge) locate(ctx context.Context, kind itemKind, id string) (*konsole, error) {
	ks := b.all()
	switch {
	case len(ks) == 0:
		return nil, &APIError{Status: http.StatusBadGateway, Code: CodeKonsoleUnreachable, Message: "no Konsole is configured"}
	case len(ks) == 1:
		return ks[0], nil
	}
	if kid := b.index.get(kind, id); kid != "" {
		if k := b.konsole(kid); k != nil && k.running() {
			return k, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.MergeTimeout)
	defer cancel()
	type answer struct {
		k   *konsole
		err error
	}
	answers := make(chan answer, len(ks))
	asked := 0
	var silent []string
	for _, k := range ks {
		if !k.running() {
			continue
		}
		asked++
		go func() {
			_, err := k.api.do(ctx, "GET", kind.path()+url.PathEscape(id), nil)
			answers <- answer{k, err}
		}()
	}
	var notFound error
	for range asked {
		a := <-answers
		var e *APIError
		switch {
		case a.err == nil:
			b.index.put(kind, id, a.k.spec.ID)
			return a.k, nil
		case errors.As(a.err, &e) && e.Status == http.StatusNotFound:
			notFound = a.err
		default:
			silent = append(silent, a.k.spec.Name)
		}
	}
	if len(silent) > 0 {
		return nil, &APIError{Status: http.StatusBadGateway, Code: CodeKonsoleUnreachable,
			Message: fmt.Sprintf("the %s %s is on none of the Konsoles that answered, and %s did not answer", kind, id, strings.Join(silent, ", "))}
	}
	if notFound != nil {
		return nil, notFound
	}
	return nil, &APIError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no Konsole has the %s %s", kind, id)}
}

// writeError answers with an APIError (a Konsole's own, passed through,
// or the bridge's).
func writeError(w http.ResponseWriter, err error) {
	var e *APIError
	if !errors.As(err, &e) {
		httpjson.Error(w, http.StatusInternalServerError, CodeInternal, err.Error())
		return
	}
	status := e.Status
	if status == 0 {
		switch e.Code {
		case CodeKonsoleTimeout:
			status = http.StatusGatewayTimeout
		case CodeKonsoleUnreachable, CodeKonsoleError:
			status = http.StatusBadGateway
		default:
			status = http.StatusBadRequest
		}
	}
	httpjson.Error(w, status, e.Code, e.Message)
}

// routed forwards /api/sessions/{id}... and /api/kontasks/{id}... to the
// Konsole that has that session or kontask.
func (b *Bridge) routed(kind itemKind, prefix string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, prefix), "/")
		var k *konsole
		if id == "" {
			k = b.primary()
		} else {
			var err error
			if k, err = b.locate(r.Context(), kind, id); err != nil {
				writeError(w, err)
				return
			}
		}
		if k == nil {
			writeError(w, &APIError{Status: http.StatusBadGateway, Code: CodeKonsoleUnreachable, Message: "no Konsole is configured"})
			return
		}
		k.proxy.ServeHTTP(w, r)
	})
}

// chosen is the Konsole ?konsoleId= names, else the local one, else the
// first.
func (b *Bridge) chosen(r *http.Request) (*konsole, error) {
	id := r.URL.Query().Get("konsoleId")
	if id == "" {
		if k := b.primary(); k != nil {
			return k, nil
		}
		return nil, &APIError{Status: http.StatusBadGateway, Code: CodeKonsoleUnreachable, Message: "no Konsole is configured"}
	}
	return b.named(id)
}

// named is the Konsole with id, which must be followed.
func (b *Bridge) named(id string) (*konsole, error) {
	k := b.konsole(id)
	if k == nil {
		return nil, &APIError{Status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf("no Konsole has the id %q", id)}
	}
	if !k.running() {
		return nil, &APIError{Status: http.StatusConflict, Code: "konsole_disabled", Message: "the Konsole " + k.spec.Name + " is disabled"}
	}
	return k, nil
}

// byQuery forwards a request to the Konsole of ?konsoleId=.
func (b *Bridge) byQuery() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, err := b.chosen(r)
		if err != nil {
			writeError(w, err)
			return
		}
		k.proxy.ServeHTTP(w, r)
	})
}
