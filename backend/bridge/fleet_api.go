package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/konui/konui/backend/shared/httpjson"
)

// fleetRoutes serves /api/konsoles: the list, and through Config.Fleet
// adding, changing and removing Konsoles.
func (b *Bridge) fleetRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/konsoles", b.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"konsoles": b.listed()})
	})))
	mux.Handle("POST /api/konsoles", b.guard(http.HandlerFunc(b.postKonsole)))
	mux.Handle("PATCH /api/konsoles/{id}", b.guard(http.HandlerFunc(b.patchKonsole)))
	mux.Handle("DELETE /api/konsoles/{id}", b.guard(http.HandlerFunc(b.deleteKonsole)))
	mux.Handle("POST /api/konsoles/{id}/retry", b.guard(http.HandlerFunc(b.retryKonsole)))
	notAllowed := func(allow string) http.Handler {
		return b.guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			httpjson.Error(w, http.StatusMethodNotAllowed, "method_not_allowed", "no route "+r.Method+" "+r.URL.Path+" (it takes "+allow+")")
		}))
	}
	mux.Handle("/api/konsoles", notAllowed("GET, POST"))
	mux.Handle("/api/konsoles/{id}", notAllowed("PATCH, DELETE"))
	mux.Handle("/api/konsoles/{id}/retry", notAllowed("POST"))
}

// readOnly answers 405 when there is no Fleet to change.
func (b *Bridge) readOnly(w http.ResponseWriter) bool {
	if b.cfg.Fleet != nil {
		return false
	}
	httpjson.Error(w, http.StatusMethodNotAllowed, "fleet_read_only", "this bridge's Konsoles are fixed by how it was started")
	return true
}

// fleetError passes a Fleet's *APIError on as it is; any other is 400.
func fleetError(w http.ResponseWriter, err error) {
	var e *APIError
	if errors.As(err, &e) {
		if e.Status == 0 {
			e = &APIError{Status: http.StatusBadRequest, Code: e.Code, Message: e.Message}
		}
		writeError(w, e)
		return
	}
	httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, err.Error())
}

// readJSON decodes a small JSON object body; false when it answered.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<10+1))
	switch {
	case err != nil:
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "failed to read the body: "+err.Error())
	case len(raw) > 64<<10:
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "too_large", "the body is larger than 65536 bytes")
	case len(strings.TrimSpace(string(raw))) == 0:
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "a JSON body is required")
	default:
		if err := json.Unmarshal(raw, v); err != nil {
			httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, httpjson.DecodeError(err))
			return false
		}
		return true
	}
	return false
}

// addWait is how long POST /api/konsoles waits for the new Konsole's
// stream to connect before it answers with the state it has.
const addWait = 3 * time.Second

func (b *Bridge) postKonsole(w http.ResponseWriter, r *http.Request) {
	if b.readOnly(w) {
		return
	}
	var req AddKonsole
	if !readJSON(w, r, &req) {
		return
	}
	given := 0
	for _, s := range []string{req.Pairing, req.URL, req.SSH} {
		if strings.TrimSpace(s) != "" {
			given++
		}
	}
	if given != 1 {
		httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, `give exactly one of "pairing", "url" (with "token") or "ssh"`)
		return
	}
	spec, err := b.cfg.Fleet.Add(r.Context(), req)
	if err != nil {
		fleetError(w, err)
		return
	}
	if err := b.AddKonsole(spec); err != nil {
		if spec.Close != nil {
			spec.Close()
		}
		writeError(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), addWait)
	defer cancel()
	for b.hub.KonsoleInfo(spec.ID).State == StateConnecting && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	httpjson.Write(w, http.StatusCreated, map[string]any{"konsole": b.info(spec.ID)})
}

// info is one Konsole's entry with its resume point.
func (b *Bridge) info(id string) KonsoleInfo {
	i := b.hub.KonsoleInfo(id)
	if k := b.konsole(id); k != nil {
		i.LastEventID = k.up.LastID()
	}
	return i
}

// konsoleOfPath is the Konsole the path's {id} names, or nil once it has
// answered 404.
func (b *Bridge) konsoleOfPath(w http.ResponseWriter, r *http.Request) (string, *konsole) {
	id := r.PathValue("id")
	k := b.konsole(id)
	if k == nil {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no Konsole has the id "+id)
	}
	return id, k
}

func (b *Bridge) patchKonsole(w http.ResponseWriter, r *http.Request) {
	id, k := b.konsoleOfPath(w, r)
	if k == nil {
		return
	}
	var p struct {
		Name    *string `json:"name"`
		Enabled *bool   `json:"enabled"`
	}
	if !readJSON(w, r, &p) {
		return
	}
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		if n == "" || len([]rune(n)) > 100 {
			httpjson.Error(w, http.StatusBadRequest, CodeBadRequest, "name must be 1 to 100 characters")
			return
		}
		p.Name = &n
	}
	if p.Enabled != nil && !*p.Enabled && id == LocalID {
		httpjson.Error(w, http.StatusConflict, "conflict", "the local Konsole cannot be disabled")
		return
	}
	if b.readOnly(w) {
		return
	}
	if err := b.cfg.Fleet.Update(id, p.Name, p.Enabled); err != nil {
		fleetError(w, err)
		return
	}
	// A DELETE may have removed k while the Fleet wrote its list: say so
	// rather than answer with an entry that is gone (k is retired, so
	// setEnabled could not bring it back either).
	if b.konsole(id) != k {
		httpjson.Error(w, http.StatusNotFound, "not_found", "no Konsole has the id "+id)
		return
	}
	if p.Name != nil {
		b.hub.UpdateKonsole(id, func(i *KonsoleInfo) { i.Name = *p.Name })
	}
	if p.Enabled != nil {
		b.setEnabled(k, *p.Enabled)
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"konsole": b.info(id)})
}

// setEnabled starts or stops following a Konsole; its resume point stays,
// so enabling it again resumes exactly where it stopped.
func (b *Bridge) setEnabled(k *konsole, on bool) {
	k.enableMu.Lock()
	defer k.enableMu.Unlock()
	b.mu.RLock()
	ctx := b.ctx
	b.mu.RUnlock()
	if ctx != nil && on == k.running() {
		return
	}
	if on {
		b.hub.UpdateKonsole(k.spec.ID, func(i *KonsoleInfo) {
			i.Enabled, i.State, i.Error, i.Attempt, i.RetryInMs = true, StateConnecting, "", 0, 0
		})
		if ctx != nil {
			k.start(ctx)
		}
		return
	}
	k.stop()
	b.hub.UpdateKonsole(k.spec.ID, func(i *KonsoleInfo) {
		i.Enabled, i.State, i.Error, i.Attempt, i.RetryInMs, i.LatencyMs = false, StateDown, disabledError, 0, 0, nil
	})
}

// retryKonsole connects to a Konsole that is waiting to reconnect (down
// or reconnecting) now instead of at the end of its backoff: 202 when it
// was waiting, 200 with its entry as it is when it was not (connected, or
// already connecting), 409 when it is disabled.
func (b *Bridge) retryKonsole(w http.ResponseWriter, r *http.Request) {
	id, k := b.konsoleOfPath(w, r)
	if k == nil {
		return
	}
	if !k.running() {
		httpjson.Error(w, http.StatusConflict, "conflict", "this Konsole is disabled: enable it to follow it again")
		return
	}
	status := http.StatusOK
	if k.up.RetryNow() {
		status = http.StatusAccepted
	}
	httpjson.Write(w, status, map[string]any{"konsole": b.info(id)})
}

func (b *Bridge) deleteKonsole(w http.ResponseWriter, r *http.Request) {
	id, k := b.konsoleOfPath(w, r)
	if k == nil {
		return
	}
	if id == LocalID || k.spec.Kind == "local" {
		httpjson.Error(w, http.StatusConflict, "conflict", "the local Konsole cannot be removed")
		return
	}
	if b.readOnly(w) {
		return
	}
	if err := b.cfg.Fleet.Remove(id); err != nil {
		fleetError(w, err)
		return
	}
	if err := b.RemoveKonsole(id); err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
