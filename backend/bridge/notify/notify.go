package notify

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

	"github.com/konui/konui/backend/bridge/upstream"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/textclip"
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
	// KonsoleID is the Konsole the kontask is on.
	KonsoleID string `json:"konsoleId"`
	// Raw is the kontask's JSON (docs/protocol.md, Kontask).
	Raw json.RawMessage `json:"-"`
}

// Notifier is told about new kontasks, for desktop notifications.
//
// KontaskCreated is called once per kontask created after the bridge's
// first start (see Config.StateDir), never again for the same kontask: not
// on a replay, a reconnect or a restart of the bridge. Kontasks created
// while the bridge was not following a Konsole are caught up over REST when
// it connects, each Konsole on its own. Calls come one at a time from one goroutine, off the event
// path, so a slow Notifier delays only later notifications.
type Notifier interface {
	KontaskCreated(k Kontask)
}

// Getter reads one of a Konsole's REST routes (GET base+path with its
// token), answering the body or an error.
type Getter interface {
	Get(ctx context.Context, path string) (json.RawMessage, error)
}

// Options configure Notifications.
type Options struct {
	Notifier Notifier
	// StateDir keeps the kontasks already notified and when the bridge
	// first started; "" keeps them in memory (every start is a first).
	StateDir string
	// API gives the REST client of a Konsole, nil once it is removed.
	API func(konsoleID string) Getter
	// LocalID is the local Konsole's id: its kontasks keep the key they
	// had before the bridge followed several Konsoles.
	LocalID string
	Logger  *slog.Logger
}

// notifyWindow bounds the memory of notified kontasks: a kontask older than
// this is neither caught up nor notified, so its id can be forgotten.
const notifyWindow = 7 * 24 * time.Hour

// notifyStateFile is kept in Options.StateDir.
const notifyStateFile = "notified-kontasks.json"

// notifyState is what survives a bridge restart.
type notifyState struct {
	// Since is when the bridge first started: older kontasks are backlog.
	Since time.Time `json:"since"`
	// Notified maps the id of each notified kontask to its creation time.
	Notified map[string]time.Time `json:"notified"`
}

// Notifications decides which kontasks to notify and calls the Notifier
// from its own goroutine. The caller should call Run, and stop it through
// its context.
type Notifications struct {
	n       Notifier
	path    string // "" keeps the state in memory only
	apiOf   func(konsoleID string) Getter
	localID string
	lg      *slog.Logger
	now     func() time.Time
	// write stores the state file's bytes (atomicfile.Write by default).
	write func(path string, b []byte) error

	// smu guards state and its file: a kontask is judged and recorded
	// under it, on the notifier's goroutines only, so a slow disk never
	// holds mu, which the delivery path takes.
	smu   sync.Mutex
	state notifyState

	mu sync.Mutex
	// incoming holds kontasks seen on the delivery path, not yet judged:
	// judging one writes the state file, which Run does, off that path.
	incoming []incomingKontask
	queue    []Kontask
	// catchUp holds the Konsoles to catch up with.
	catchUp map[string]bool
	wake    chan struct{}
}

// incomingKontask is a kontask seen on a Konsole's event stream.
type incomingKontask struct {
	konsoleID string
	raw       json.RawMessage
}

// maxIncoming bounds the kontasks waiting to be judged; beyond it the
// bridge asks for a catch-up instead, which finds them over REST.
const maxIncoming = 1024

// New loads the state of Options.StateDir (writing it on a first start).
func New(o Options) (*Notifications, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ns := &Notifications{n: o.Notifier, apiOf: o.API, localID: o.LocalID, lg: o.Logger, now: time.Now, write: writeState, wake: make(chan struct{}, 1), catchUp: map[string]bool{}}
	if o.StateDir != "" {
		ns.path = filepath.Join(o.StateDir, notifyStateFile)
	}
	if err := ns.load(); err != nil {
		return nil, err
	}
	return ns, nil
}

// load reads the stored state, or starts one whose Since is now.
func (ns *Notifications) load() error {
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

// writeState writes the state file atomically, making its folder.
func writeState(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("failed to create the bridge state folder: %w", err)
	}
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return fmt.Errorf("failed to save the bridge state: %w", err)
	}
	return nil
}

// saveLocked writes the state; the caller holds smu (or is load).
func (ns *Notifications) saveLocked() error {
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
	return ns.write(ns.path, b)
}

// Event looks at one Konsole event on the delivery path; it never blocks
// and does no I/O: Run judges the kontask.
func (ns *Notifications) Event(konsoleID string, ev upstream.Event) {
	if ev.Type != contract.EvKontaskCreated {
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
		ns.incoming = append(ns.incoming, incomingKontask{konsoleID, e.Data.Kontask})
	} else if !ns.catchUp[konsoleID] {
		ns.lg.Warn("too many new kontasks at once; catching up on them over REST", "waiting", len(ns.incoming), "konsole", konsoleID)
		ns.catchUp[konsoleID] = true
	}
	ns.mu.Unlock()
	ns.poke()
}

// offer queues kontasks for notification, leaving out backlog and those
// notified before. It records their ids (one write of the state file for
// all of them) before queueing them: a crash in between loses
// notifications rather than repeating them. It runs on the notifier's
// goroutines; the delivery path only waits for mu, never for the disk.
func (ns *Notifications) offer(in []incomingKontask) {
	var fresh []Kontask
	ns.smu.Lock()
	cutoff := ns.now().Add(-notifyWindow)
	for _, it := range in {
		var k Kontask
		if err := json.Unmarshal(it.raw, &k); err != nil || k.ID == "" {
			ns.lg.Warn("skipping an unreadable kontask", "err", err)
			continue
		}
		k.Raw, k.KonsoleID = it.raw, it.konsoleID
		// The local Konsole's kontasks keep the key they had before the
		// bridge followed several; another Konsole's are its id and theirs.
		key := k.ID
		if it.konsoleID != ns.localID {
			key = it.konsoleID + "/" + k.ID
		}
		if k.CreatedAt.Before(ns.state.Since) || k.CreatedAt.Before(cutoff) {
			continue
		}
		if _, done := ns.state.Notified[key]; done {
			continue
		}
		ns.state.Notified[key] = k.CreatedAt
		fresh = append(fresh, k)
	}
	if len(fresh) > 0 {
		if err := ns.saveLocked(); err != nil {
			ns.lg.Error("failed to record notified kontasks", "kontasks", len(fresh), "err", err)
		}
	}
	ns.smu.Unlock()
	if len(fresh) == 0 {
		return
	}
	ns.mu.Lock()
	ns.queue = append(ns.queue, fresh...)
	ns.mu.Unlock()
	ns.poke()
}

// Connected asks for a catch-up of one Konsole: kontasks created there
// while the bridge was away.
func (ns *Notifications) Connected(konsoleID string) {
	ns.mu.Lock()
	ns.catchUp[konsoleID] = true
	ns.mu.Unlock()
	ns.poke()
}

func (ns *Notifications) poke() {
	select {
	case ns.wake <- struct{}{}:
	default:
	}
}

// Run calls the Notifier for queued kontasks and runs catch-ups until ctx ends.
func (ns *Notifications) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ns.wake:
		}
		ns.mu.Lock()
		catchUp, incoming := ns.catchUp, ns.incoming
		ns.catchUp, ns.incoming = map[string]bool{}, nil
		ns.mu.Unlock()
		ns.offer(incoming)
		// All Konsoles at once: one that does not answer delays the others'
		// notifications by its request timeout at most.
		var wg sync.WaitGroup
		for id := range catchUp {
			wg.Add(1)
			go func() { defer wg.Done(); ns.fetchMissed(ctx, id) }()
		}
		wg.Wait()
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
func (ns *Notifications) fetchMissed(ctx context.Context, konsoleID string) {
	api := ns.apiOf(konsoleID)
	if api == nil {
		return
	}
	ns.smu.Lock()
	floor := ns.state.Since
	ns.smu.Unlock()
	if w := ns.now().Add(-notifyWindow); floor.Before(w) {
		floor = w
	}
	var found []incomingKontask
	cursor := ""
	for page := 0; page < catchUpPages; page++ {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		path := "/v1/kontasks?limit=100"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		raw, err := api.Get(rctx, path)
		cancel()
		if err != nil {
			ns.lg.Warn("failed to catch up on kontasks created while the bridge was away", "konsole", konsoleID, "err", err)
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
			found = append(found, incomingKontask{konsoleID, r})
		}
		if older || list.NextCursor == "" {
			break
		}
		cursor = list.NextCursor
	}
	slices.Reverse(found)
	ns.offer(found)
}
