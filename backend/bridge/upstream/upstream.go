package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/konui/konui/backend/contract"
	"github.com/r3labs/sse/v2"
)

// Konsole connection states, as sent in "konsole" frames.
const (
	StateConnecting   = "connecting"
	StateConnected    = "connected"
	StateReconnecting = "reconnecting"
	StateDown         = "down"
)

// State is the bridge's view of one Konsole connection.
type State struct {
	State     string `json:"state"`
	URL       string `json:"url"`
	Attempt   int    `json:"attempt,omitempty"`
	RetryInMs int64  `json:"retryInMs,omitempty"`
	Error     string `json:"error,omitempty"`
	LastID    int64  `json:"lastEventId"`
}

// Event is one Konsole event as received: its id (0 for reset and
// heartbeat), type, and the JSON of the whole event.
type Event struct {
	ID        int64
	Type      string
	SessionID string
	Raw       json.RawMessage
}

// Options configure a Follower; every field is needed.
type Options struct {
	// Display is the URL shown in the state; Endpoint gives the base URL
	// and token of each connection attempt (an error counts as a failed
	// attempt, its sentence is the state's error).
	Display  string
	Endpoint func(ctx context.Context) (base, token string, err error)
	// Client carries the TLS settings; it must have no Timeout.
	Client    *http.Client
	Backoff   Backoff
	Watchdog  time.Duration // reconnect when Konsole is silent this long
	DownAfter int           // failed attempts before the state is "down"
	MaxEvent  int           // largest event, in bytes
	Logger    *slog.Logger
	// Deliver gets each new event once, in order; SetState each change of
	// the connection. Both run on Run's goroutine and must not block.
	Deliver  func(Event)
	SetState func(State)
}

// Follower follows GET /v1/events of one Konsole for as long as Run's
// context lives, reconnecting with backoff and resuming with
// Last-Event-ID.
type Follower struct {
	display   string
	endpoint  func(ctx context.Context) (base, token string, err error)
	client    *http.Client
	backoff   Backoff
	watchdog  time.Duration
	downAfter int
	maxEvent  int
	lg        *slog.Logger
	deliver   func(Event)
	setState  func(State)

	mu     sync.Mutex
	lastID int64

	// retry cuts the wait before the next connection short (RetryNow).
	retry chan struct{}
}

// New makes a Follower; it connects on Run.
func New(o Options) *Follower {
	return &Follower{display: o.Display, endpoint: o.Endpoint, client: o.Client, backoff: o.Backoff, watchdog: o.Watchdog,
		downAfter: o.DownAfter, maxEvent: o.MaxEvent, lg: o.Logger, deliver: o.Deliver, setState: o.SetState, retry: make(chan struct{})}
}

// RetryNow makes a waiting Follower connect at once instead of at the end
// of its backoff; a Follower that is connected or connecting is left
// as it is. It reports whether one was waiting.
func (u *Follower) RetryNow() bool {
	select {
	case u.retry <- struct{}{}:
		return true
	default:
		return false
	}
}

type statusError struct{ status int }

func (e *statusError) Error() string {
	switch e.status {
	case http.StatusUnauthorized, http.StatusForbidden:
		// A Konsole whose token was replaced (konui konsole --rotate-token,
		// after an agent saw the old one) answers so: the bridge cannot
		// follow it by itself and must be paired again.
		return "Konsole refused the token (HTTP " + strconv.Itoa(e.status) + "): if it was given a new one (konui konsole --rotate-token), pair this Konsole again with its new pairing string or token file"
	}
	return "Konsole answered HTTP " + strconv.Itoa(e.status)
}

// LastID is the id of the last event delivered (where a reconnection
// resumes).
func (u *Follower) LastID() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastID
}

// Run follows the Konsole until ctx ends. The r3labs client makes one attempt per call
// (backoff.StopBackOff); this loop owns reconnection, because the client's
// own gives up after 15 minutes and returns nil on a cleanly closed stream.
func (u *Follower) Run(ctx context.Context) {
	plan := newRetryPlan(u.backoff)
	for ctx.Err() == nil {
		began := time.Now()
		connected, err := u.once(ctx)
		if ctx.Err() != nil {
			return
		}
		delay, try, attempt := plan.next(connected, time.Since(began))
		msg := "the event stream ended"
		if err != nil {
			msg = err.Error()
		}
		var se *statusError
		state := StateReconnecting
		if attempt > u.downAfter || (errors.As(err, &se) && (se.status == 401 || se.status == 403)) {
			state = StateDown
		}
		u.setState(State{State: state, URL: u.display, Attempt: try, RetryInMs: delay.Milliseconds(), Error: msg, LastID: u.LastID()})
		// Said once per outage (and when it is judged down), not on
		// every retry of a Konsole that stays away for days.
		level := slog.LevelDebug
		if try == 1 || (state == StateDown && attempt == u.downAfter+1) {
			level = slog.LevelInfo
		}
		u.lg.Log(ctx, level, "konsole stream interrupted; reconnecting", "attempt", try, "in", delay.Round(time.Millisecond), "state", state, "err", msg)
		wait := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		case <-u.retry:
			wait.Stop()
			u.lg.Info("retrying the Konsole now, as asked", "attempt", try)
		}
	}
}

// once makes one connection and reads it until it fails, ends, or the
// watchdog sees nothing (not even a heartbeat) for too long.
func (u *Follower) once(ctx context.Context) (connected bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base, token, err := u.endpoint(ctx)
	if err != nil {
		return false, err
	}
	streamURL := base + "/v1/events"
	c := sse.NewClient(streamURL, sse.ClientMaxBufferSize(u.maxEvent))
	c.Connection = u.client
	c.ReconnectStrategy = &backoff.StopBackOff{}
	c.Headers = map[string]string{"Authorization": "Bearer " + token}
	// The first connection of a bridge takes only new events (the dashboard
	// loads state over REST); later ones resume after the last event seen.
	if id := u.LastID(); id > 0 {
		c.LastEventID.Store([]byte(strconv.FormatInt(id, 10)))
	}
	alive := make(chan struct{}, 1)
	var connStart int64
	var watchdogFired bool
	var wmu sync.Mutex
	c.ResponseValidator = func(_ *sse.Client, resp *http.Response) error {
		if resp.StatusCode != http.StatusOK {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) // only the status matters
			resp.Body.Close()
			return &statusError{resp.StatusCode}
		}
		connected = true
		if start, err := strconv.ParseInt(resp.Header.Get("Konsole-Stream-Start"), 10, 64); err == nil {
			connStart = start
			u.mu.Lock()
			if u.lastID == 0 {
				u.lastID = start
			}
			u.mu.Unlock()
		}
		u.setState(State{State: StateConnected, URL: u.display, LastID: u.LastID()})
		return nil
	}
	go func() {
		t := time.NewTimer(u.watchdog)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-alive:
				t.Reset(u.watchdog)
			case <-t.C:
				wmu.Lock()
				watchdogFired = true
				wmu.Unlock()
				cancel()
				return
			}
		}
	}()
	err = c.SubscribeWithContext(ctx, "", func(m *sse.Event) {
		select {
		case alive <- struct{}{}:
		default:
		}
		u.handle(m, connStart)
	})
	wmu.Lock()
	defer wmu.Unlock()
	if watchdogFired {
		return connected, fmt.Errorf("no event or heartbeat from Konsole for %s", u.watchdog)
	}
	if err != nil {
		// Without the `Get "URL":` of a *url.Error, which repeats the address.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return connected, fmt.Errorf("failed to follow Konsole's events at %s: %w", streamURL, err)
	}
	return connected, nil
}

// handle delivers one event. connStart is where Konsole started this
// stream: after a reset (its log no longer matches ours) ids restart there.
func (u *Follower) handle(m *sse.Event, connStart int64) {
	typ := string(m.Event)
	if typ == contract.EvHeartbeat {
		return
	}
	var head struct {
		ID        int64  `json:"id"`
		Type      string `json:"type"`
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(m.Data, &head); err != nil {
		u.lg.Warn("skipping an unreadable event from Konsole", "err", err)
		return
	}
	if head.Type == "" {
		head.Type = typ
	}
	u.mu.Lock()
	if head.Type == contract.EvReset {
		u.lastID = connStart
	}
	if head.ID != 0 && head.ID <= u.lastID {
		u.mu.Unlock()
		return // already delivered: a replay overlapping what we had
	}
	if head.ID != 0 {
		u.lastID = head.ID
	}
	u.mu.Unlock()
	// A copy, with invalid UTF-8 (which a Konsole should never send, and
	// which is only possible inside JSON strings) replaced: the event goes
	// to the clients in a WebSocket text frame, which a browser drops, with
	// the connection, when it is not UTF-8.
	u.deliver(Event{ID: head.ID, Type: head.Type, SessionID: head.SessionID, Raw: bytes.ToValidUTF8(m.Data, []byte("\uFFFD"))})
}
