package konsole

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/konui/konui/backend/kontask"
	"github.com/konui/konui/backend/store"
)

// kontasks keeps kontasks in the store and announces every change in the
// event log. Creation goes through kontask.New, so the agent's tool and
// the REST API share one set of rules.
type kontasks struct {
	st  *store.Store
	log *Log
	mgr *Manager
	lg  *slog.Logger

	// mu serialises the read-modify-write of updates.
	mu sync.Mutex
}

func badKontask(err error) error {
	var ve *kontask.ValidationError
	if errors.As(err, &ve) {
		return errorf(http.StatusBadRequest, CodeBadRequest, "%s", ve.Error())
	}
	return err
}

func kontaskNotFound(id string) error {
	return errorf(http.StatusNotFound, CodeNotFound, "no kontask with id %q", id)
}

// create validates in, stores the kontask and emits kontask.created. The
// event carries the kontask's session and, as its turn, the requestId, so
// that a session's or a turn's event stream includes it.
func (ks *kontasks) create(in kontask.Input) (kontask.Kontask, error) {
	k, err := kontask.New(in, uuid.NewString(), time.Now())
	if err != nil {
		return kontask.Kontask{}, badKontask(err)
	}
	if k.SessionID != "" {
		if _, err := ks.mgr.get(k.SessionID); err != nil {
			return kontask.Kontask{}, errorf(http.StatusBadRequest, CodeBadRequest, "sessionId %q names no session", k.SessionID)
		}
	}
	if err := ks.st.InsertKontask(row(k)); err != nil {
		return kontask.Kontask{}, err
	}
	ks.emit(EvKontaskCreated, k)
	return k, nil
}

func row(k kontask.Kontask) store.KontaskRow {
	data, _ := json.Marshal(k) // a Kontask always encodes
	return store.KontaskRow{ID: k.ID, Data: data, Status: k.Status, Scope: k.Scope, SessionID: k.SessionID,
		CreatedAt: k.CreatedAt, ReadAt: k.ReadAt}
}

// KontaskPreviewBytes bounds the output a kontask event carries: a longer
// one is cut there (at a character boundary) and the event says so with
// outputTruncated and outputBytes; clients read the whole kontask with
// GET /v1/kontasks/{id}. Without it every change of a 1 MiB kontask was a
// 1 MiB event, in the store and to every client.
const KontaskPreviewBytes = 4096

func (ks *kontasks) emit(typ string, k kontask.Kontask) {
	data := map[string]any{"kontask": k}
	if n := len(k.Context.Output); n > KontaskPreviewBytes {
		cut := KontaskPreviewBytes
		for cut > 0 && !utf8.RuneStart(k.Context.Output[cut]) {
			cut--
		}
		k.Context.Output = k.Context.Output[:cut]
		data = map[string]any{"kontask": k, "outputTruncated": true, "outputBytes": n}
	}
	if _, err := ks.log.Append(typ, k.SessionID, k.RequestID, data); err != nil {
		ks.lg.Error("failed to record a kontask event", "type", typ, "kontask", k.ID, "err", err)
	}
}

func (ks *kontasks) get(id string) (kontask.Kontask, error) {
	raw, err := ks.st.Kontask(id)
	if errors.Is(err, store.ErrNotFound) {
		return kontask.Kontask{}, kontaskNotFound(id)
	}
	if err != nil {
		return kontask.Kontask{}, err
	}
	var k kontask.Kontask
	if err := json.Unmarshal(raw, &k); err != nil {
		return kontask.Kontask{}, errorf(http.StatusInternalServerError, CodeInternal, "kontask %s is stored unreadably: %v", id, err)
	}
	return k, nil
}

// update applies p and emits kontask.updated when something changed.
// allow, when set, may refuse the change after seeing the kontask.
func (ks *kontasks) update(id string, p kontask.Patch, allow func(kontask.Kontask) error) (kontask.Kontask, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	k, err := ks.get(id)
	if err != nil {
		return k, err
	}
	if allow != nil {
		if err := allow(k); err != nil {
			return kontask.Kontask{}, err
		}
	}
	changed, err := p.Apply(&k, time.Now())
	if err != nil || !changed {
		return k, badKontask(err)
	}
	if err := ks.st.UpdateKontask(row(k)); err != nil {
		return kontask.Kontask{}, err
	}
	ks.emit(EvKontaskUpdated, k)
	return k, nil
}

// list returns one page of kontasks, newest first.
func (ks *kontasks) list(q store.KontaskQuery) ([]kontask.Kontask, store.KontaskPage, error) {
	page, err := ks.st.Kontasks(q)
	if err != nil {
		return nil, page, err
	}
	out := make([]kontask.Kontask, 0, len(page.Kontasks))
	for _, raw := range page.Kontasks {
		var k kontask.Kontask
		if err := json.Unmarshal(raw, &k); err != nil {
			ks.lg.Error("skipping an unreadable stored kontask", "err", err)
			continue
		}
		out = append(out, k)
	}
	return out, page, nil
}
