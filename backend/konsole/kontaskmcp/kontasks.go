package kontaskmcp

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/textclip"
)

func badKontask(err error) error {
	var ve *kontask.ValidationError
	if errors.As(err, &ve) {
		return apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "%s", ve.Error())
	}
	return err
}

func kontaskNotFound(id string) error {
	return apierror.New(http.StatusNotFound, apierror.CodeNotFound, "no kontask with id %q", id)
}

// Create validates in, stores the kontask and emits kontask.created. The
// event carries the kontask's session and, as its turn, the requestId, so
// that a session's or a turn's event stream includes it.
func (s *Service) Create(in kontask.Input) (kontask.Kontask, error) {
	k, err := kontask.New(in, uuid.NewString(), time.Now())
	if err != nil {
		return kontask.Kontask{}, badKontask(err)
	}
	if k.SessionID != "" {
		if _, err := s.mgr.Get(k.SessionID); err != nil {
			return kontask.Kontask{}, apierror.New(http.StatusBadRequest, apierror.CodeBadRequest, "sessionId %q names no session", k.SessionID)
		}
	}
	if err := s.st.InsertKontask(row(k)); err != nil {
		return kontask.Kontask{}, err
	}
	s.emit(true, k)
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

func (s *Service) emit(created bool, k kontask.Kontask) {
	ev := contract.KontaskEvent{Kontask: k}
	if n := len(k.Context.Output); n > KontaskPreviewBytes {
		ev.Kontask.Context.Output = textclip.Bytes(k.Context.Output, KontaskPreviewBytes)
		ev.OutputTruncated, ev.OutputBytes = true, n
	}
	var data contract.Payload = contract.KontaskUpdated{KontaskEvent: ev}
	if created {
		data = contract.KontaskCreated{KontaskEvent: ev}
	}
	if _, err := s.log.Append(data.EventType(), k.SessionID, k.RequestID, data); err != nil {
		s.lg.Error("failed to record a kontask event", "type", data.EventType(), "kontask", k.ID, "err", err)
	}
}

// Get returns one kontask, not_found when there is none.
func (s *Service) Get(id string) (kontask.Kontask, error) {
	raw, err := s.st.Kontask(id)
	if errors.Is(err, store.ErrNotFound) {
		return kontask.Kontask{}, kontaskNotFound(id)
	}
	if err != nil {
		return kontask.Kontask{}, err
	}
	var k kontask.Kontask
	if err := json.Unmarshal(raw, &k); err != nil {
		return kontask.Kontask{}, apierror.New(http.StatusInternalServerError, apierror.CodeInternal, "kontask %s is stored unreadably: %v", id, err)
	}
	return k, nil
}

// Update applies p and emits kontask.updated when something changed.
// allow, when set, may refuse the change after seeing the kontask.
func (s *Service) Update(id string, p kontask.Patch, allow func(kontask.Kontask) error) (kontask.Kontask, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.Get(id)
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
	if err := s.st.UpdateKontask(row(k)); err != nil {
		return kontask.Kontask{}, err
	}
	s.emit(false, k)
	return k, nil
}

// List returns one page of kontasks, newest first.
func (s *Service) List(q store.KontaskQuery) ([]kontask.Kontask, store.KontaskPage, error) {
	page, err := s.st.Kontasks(q)
	if err != nil {
		return nil, page, err
	}
	out := make([]kontask.Kontask, 0, len(page.Kontasks))
	for _, raw := range page.Kontasks {
		var k kontask.Kontask
		if err := json.Unmarshal(raw, &k); err != nil {
			s.lg.Error("skipping an unreadable stored kontask", "err", err)
			continue
		}
		out = append(out, k)
	}
	return out, page, nil
}
