package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/konui/konui/backend/atomicfile"
	"github.com/konui/konui/backend/textclip"
)

// Kontask is what a Notifier hears about a new kontask: the fields a
// notification shows, and the whole kontask as Konsole sent it.
type Kontask struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Type        string    `json:"type"`
	Status      string    `json:"status"`
	Scope       string    `json:"scope"`
	SessionID   string    `json:"sessionId"`
	RequestID   string    `json:"requestId"`
	CreatedAt   time.Time `json:"createdAt"`
	// Raw is the kontask's JSON (docs/protocol.md, Kontask).
	Raw json.RawMessage `json:"-"`
}

// Notifier is told about new kontasks, for desktop notifications.
//
// KontaskCreated is called once per kontask created after the bridge's
// first start (see Config.StateDir), never again for the same kontask: not
// on a replay, a reconnect or a restart of the bridge. Kontasks created
// while the bridge was not following Konsole are caught up over REST when
// it connects. Calls come one at a time from one goroutine, off the event
// path, so a slow Notifier delays only later notifications.
type Notifier interface {
	KontaskCreated(k Kontask)
}

// notifyWindow bounds the memory of notified kontasks: a kontask older than
// this is neither caught up nor notified, so its id can be forgotten.
const notifyWindow = 7 * 24 * time.Hour

// notifyStateFile is kept in Config.StateDir.
const notifyStateFile = "notified-kontasks.json"

// notifyState is what survives a bridge restart.
type notifyState struct {
	// Since is when the bridge first started: older kontasks are backlog.
	Since time.Time `json:"since"`
	// Notified maps the id of each notified kontask to its creation time.
	Notified map[string]time.Time `json:"notified"`
}

// notifications decides which kontasks to notify and calls the Notifier
// from its own goroutine. The caller should call run, and stop it through
// its context.
type notifications struct {
	n    Notifier
	path string // "" keeps the state in memory only
	api  *konsoleAPI
	lg   *slog.Logger
	now  func() time.Time

	mu    sync.Mutex
	state notifyState
	// incoming holds kontasks seen on the delivery path, not yet judged:
	// judging one writes the state file, which run does, off that path.
	incoming []json.RawMessage
	queue    []Kontask
	catchUp  bool
	wake     chan struct{}
}

// maxIncoming bounds the kontasks waiting to be judged; beyond it the
// bridge asks for a catch-up instead, which finds them over REST.
const maxIncoming = 1024

func newNotifications(n Notifier, stateDir string, api *konsoleAPI, lg *slog.Logger) (*notifications, error) {
	ns := &notifications{n: n, api: api, lg: lg, now: time.Now, wake: make(chan struct{}, 1)}
	if stateDir != "" {
		ns.path = filepath.Join(stateDir, notifyStateFile)
	}
	if err := ns.load(); err != nil {
		return nil, err
	}
	return ns, nil
}

// load reads the stored state, or starts one whose Since is now.
func (ns *notifications) load() error {
	ns.state = notifyState{Since: ns.now().UTC(), Notified: map[string]time.Time{}}
	if ns.path == "" {
		return nil
	}
	b, err := os.ReadFile(ns.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ns.saveLocked()
	case err != nil:
		return fmt.Errorf("failed to read the bridge state %s: %w", ns.path, err)
	}
	var st notifyState
	if err := json.Unmarshal(b, &st); err != nil || st.Since.IsZero() {
		// Starting over from now can only skip notifications, never repeat one.
		ns.lg.Warn("the notified-kontasks file is unreadable; notifying only kontasks created from now on", "path", ns.path, "err", err)
		return ns.saveLocked()
	}
	if st.Notified == nil {
		st.Notified = map[string]time.Time{}
	}
	ns.state = st
	return nil
}

// saveLocked writes the state atomically; the caller holds mu (or is load).
func (ns *notifications) saveLocked() error {
	if ns.path == "" {
		return nil
	}
	cutoff := ns.now().Add(-notifyWindow)
	for id, at := range ns.state.Notified {
		if at.Before(cutoff) {
			delete(ns.state.Notified, id)
		}
	}
	b, _ := json.Marshal(ns.state)
	if err := os.MkdirAll(filepath.Dir(ns.path), 0o700); err != nil {
		return fmt.Errorf("failed to create the bridge state folder: %w", err)
	}
	if err := atomicfile.Write(ns.path, b, 0o600); err != nil {
		return fmt.Errorf("failed to save the bridge state: %w", err)
	}
	return nil
}

// event looks at one Konsole event on the delivery path; it never blocks
// and does no I/O: run judges the kontask.
func (ns *notifications) event(ev upstreamEvent) {
	if ev.Type != "kontask.created" {
		return
	}
	var e struct {
		Data struct {
			Kontask json.RawMessage `json:"kontask"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ev.Raw, &e); err != nil || len(e.Data.Kontask) == 0 {
		ns.lg.Warn("skipping a kontask.created event without a kontask", "id", ev.ID)
		return
	}
	ns.mu.Lock()
	if len(ns.incoming) < maxIncoming {
		ns.incoming = append(ns.incoming, e.Data.Kontask)
	} else if !ns.catchUp {
		ns.lg.Warn("too many new kontasks at once; catching up on them over REST", "waiting", len(ns.incoming))
		ns.catchUp = true
	}
	ns.mu.Unlock()
	ns.poke()
}

// offer queues a kontask for notification unless it is backlog or was
// notified before. It records the id before notifying: a crash in between
// loses a notification rather than repeating one.
func (ns *notifications) offer(raw json.RawMessage) {
	var k Kontask
	if err := json.Unmarshal(raw, &k); err != nil || k.ID == "" {
		ns.lg.Warn("skipping an unreadable kontask", "err", err)
		return
	}
	k.Raw = raw
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if k.CreatedAt.Before(ns.state.Since) || k.CreatedAt.Before(ns.now().Add(-notifyWindow)) {
		return
	}
	if _, done := ns.state.Notified[k.ID]; done {
		return
	}
	ns.state.Notified[k.ID] = k.CreatedAt
	if err := ns.saveLocked(); err != nil {
		ns.lg.Error("failed to record a notified kontask", "kontask", k.ID, "err", err)
	}
	ns.queue = append(ns.queue, k)
	ns.poke()
}

// connected asks for a catch-up: kontasks created while the bridge was away.
func (ns *notifications) connected() {
	ns.mu.Lock()
	ns.catchUp = true
	ns.mu.Unlock()
	ns.poke()
}

func (ns *notifications) poke() {
	select {
	case ns.wake <- struct{}{}:
	default:
	}
}

// run calls the Notifier for queued kontasks and runs catch-ups until ctx ends.
func (ns *notifications) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ns.wake:
		}
		ns.mu.Lock()
		catchUp, incoming := ns.catchUp, ns.incoming
		ns.catchUp, ns.incoming = false, nil
		ns.mu.Unlock()
		for _, raw := range incoming {
			ns.offer(raw)
		}
		if catchUp {
			ns.fetchMissed(ctx)
		}
		for {
			ns.mu.Lock()
			if len(ns.queue) == 0 {
				ns.mu.Unlock()
				break
			}
			k := ns.queue[0]
			ns.queue = ns.queue[1:]
			ns.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
			ns.n.KontaskCreated(k)
		}
	}
}

// catchUpPages bounds one catch-up: 10 pages of 100 kontasks.
const catchUpPages = 10

// fetchMissed lists Konsole's kontasks newest first back to Since (or the
// window) and offers them oldest first; offer drops those already notified.
func (ns *notifications) fetchMissed(ctx context.Context) {
	ns.mu.Lock()
	floor := ns.state.Since
	ns.mu.Unlock()
	if w := ns.now().Add(-notifyWindow); floor.Before(w) {
		floor = w
	}
	var found []json.RawMessage
	cursor := ""
	for page := 0; page < catchUpPages; page++ {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		path := "/v1/kontasks?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		raw, err := ns.api.do(rctx, "GET", path, nil)
		cancel()
		if err != nil {
			ns.lg.Warn("failed to catch up on kontasks created while the bridge was away", "err", err)
			return
		}
		var list struct {
			Kontasks   []json.RawMessage `json:"kontasks"`
			NextCursor string            `json:"nextCursor"`
		}
		if err := json.Unmarshal(raw, &list); err != nil {
			ns.lg.Warn("failed to read Konsole's kontask list", "err", err)
			return
		}
		older := false
		for _, r := range list.Kontasks {
			var k struct {
				ID        string    `json:"id"`
				CreatedAt time.Time `json:"createdAt"`
			}
			if err := json.Unmarshal(r, &k); err != nil || k.ID == "" || k.CreatedAt.IsZero() {
				// One bad entry must not end the catch-up of those after it.
				ns.lg.Warn("skipping an unreadable kontask in the catch-up", "err", err, "kontask", textclip.Head(string(r), 200))
				continue
			}
			if k.CreatedAt.Before(floor) {
				older = true
				break
			}
			found = append(found, r)
		}
		if older || list.NextCursor == "" {
			break
		}
		cursor = list.NextCursor
	}
	slices.Reverse(found)
	for _, r := range found {
		ns.offer(r)
	}
}
