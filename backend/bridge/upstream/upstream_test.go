package upstream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/upstream"
)

// konsole is a real HTTP server playing GET /v1/events: each connection
// gets the events after its Last-Event-ID (all of them the first time,
// from id 1), then the stream ends; it records what each connection sent.
type konsole struct {
	mu     sync.Mutex
	events int // ids 1..events exist
	asked  []string
	status int // answer with this status instead, when not 0
}

func (k *konsole) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.asked = append(k.asked, r.Header.Get("Last-Event-ID"))
	status, events := k.status, k.events
	k.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer tok" {
		status = http.StatusUnauthorized
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Konsole-Stream-Start", "0")
	// A replay that overlaps: from id 1 always, so the follower must drop
	// what it had.
	for id := 1; id <= events; id++ {
		fmt.Fprintf(w, "id: %d\nevent: text.delta\ndata: {\"id\":%d,\"type\":\"text.delta\",\"sessionId\":\"s1\"}\n\n", id, id)
	}
	fmt.Fprint(w, "event: heartbeat\ndata: {\"type\":\"heartbeat\"}\n\n")
}

func (k *konsole) set(f func(k *konsole)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(k)
}

type recorder struct {
	mu     sync.Mutex
	ids    []int64
	states []upstream.State
	change chan struct{}
}

func (r *recorder) deliver(ev upstream.Event) {
	r.mu.Lock()
	r.ids = append(r.ids, ev.ID)
	r.mu.Unlock()
	select {
	case r.change <- struct{}{}:
	default:
	}
}

func (r *recorder) setState(st upstream.State) {
	r.mu.Lock()
	r.states = append(r.states, st)
	r.mu.Unlock()
	select {
	case r.change <- struct{}{}:
	default:
	}
}

// waitFor waits for the recorder to satisfy ok.
func (r *recorder) waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		r.mu.Lock()
		done := ok()
		r.mu.Unlock()
		if done {
			return
		}
		select {
		case <-r.change:
		case <-deadline:
			t.Fatalf("no %s after 30 s: ids %v, states %+v", what, r.ids, r.states)
		}
	}
}

func follow(t *testing.T, url string, rec *recorder) *upstream.Follower {
	t.Helper()
	f := upstream.New(upstream.Options{Display: url,
		Endpoint: func(context.Context) (string, string, error) { return url, "tok", nil },
		Client:   &http.Client{}, Backoff: upstream.Backoff{Min: 20 * time.Millisecond, Max: 40 * time.Millisecond},
		Watchdog: time.Minute, DownAfter: 2, MaxEvent: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Deliver: rec.deliver, SetState: rec.setState})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return f
}

// Each event is delivered once, in order, across reconnections: a stream
// that ends is resumed with Last-Event-ID, and the events a replay repeats
// are dropped.
func TestAFollowerResumesAfterTheLastEventAndDeliversEachOnce(t *testing.T) {
	k := &konsole{events: 3}
	srv := httptest.NewServer(k)
	defer srv.Close()
	rec := &recorder{change: make(chan struct{}, 1)}
	f := follow(t, srv.URL, rec)
	rec.waitFor(t, "first three events", func() bool { return len(rec.ids) >= 3 })
	k.set(func(k *konsole) { k.events = 5 })
	rec.waitFor(t, "events 4 and 5", func() bool { return len(rec.ids) >= 5 })
	rec.mu.Lock()
	ids := append([]int64(nil), rec.ids...)
	rec.mu.Unlock()
	for i, id := range ids {
		if id != int64(i+1) {
			t.Fatalf("delivered %v, want 1..5 once each, in order", ids)
		}
	}
	if f.LastID() != 5 {
		t.Fatalf("LastID = %d, want 5", f.LastID())
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.asked) < 2 || k.asked[0] != "" || k.asked[1] != "3" {
		t.Fatalf("Last-Event-ID sent: %q; want none first, then 3", k.asked)
	}
}

// A Konsole that refuses the token is down at once (waiting cannot help)
// and the state says what to do.
func TestARefusedTokenIsDownAtOnce(t *testing.T) {
	k := &konsole{status: http.StatusUnauthorized}
	srv := httptest.NewServer(k)
	defer srv.Close()
	rec := &recorder{change: make(chan struct{}, 1)}
	follow(t, srv.URL, rec)
	rec.waitFor(t, "down state", func() bool { return len(rec.states) > 0 })
	rec.mu.Lock()
	st := rec.states[0]
	rec.mu.Unlock()
	if st.State != upstream.StateDown || st.Attempt != 1 || st.Error == "" {
		t.Fatalf("first state %+v, want down on attempt 1 with a sentence", st)
	}
}

// RetryNow cuts a long backoff short.
func TestRetryNowConnectsAtOnce(t *testing.T) {
	k := &konsole{status: http.StatusBadGateway}
	srv := httptest.NewServer(k)
	defer srv.Close()
	rec := &recorder{change: make(chan struct{}, 1)}
	f := upstream.New(upstream.Options{Display: srv.URL,
		Endpoint: func(context.Context) (string, string, error) { return srv.URL, "tok", nil },
		Client:   &http.Client{}, Backoff: upstream.Backoff{Min: time.Hour, Max: time.Hour},
		Watchdog: time.Minute, DownAfter: 5, MaxEvent: 1 << 20, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Deliver: rec.deliver, SetState: rec.setState})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rec.waitFor(t, "a failed attempt", func() bool { return len(rec.states) > 0 })
	rec.mu.Lock()
	st := rec.states[0]
	rec.mu.Unlock()
	if st.State != upstream.StateReconnecting || st.RetryInMs < 1000 {
		t.Fatalf("state %+v, want reconnecting in about an hour", st)
	}
	k.set(func(k *konsole) { k.status, k.events = 0, 1 })
	for !f.RetryNow() { // true once Run waits
		select {
		case <-rec.change:
		case <-time.After(10 * time.Millisecond):
		}
	}
	rec.waitFor(t, "the event after RetryNow", func() bool { return len(rec.ids) == 1 })
}
