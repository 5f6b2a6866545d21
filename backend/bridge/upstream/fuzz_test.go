package upstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/r3labs/sse/v2"

	"github.com/konui/konui/backend/bridge/hub"
	"github.com/konui/konui/backend/bridge/upstream"
)

// memStream answers every request with one SSE body from memory, as
// Konsole's GET /v1/events would, without a socket.
type memStream struct {
	body  []byte
	start string
}

func (m memStream) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {"text/event-stream"}}
	if m.start != "" {
		h.Set("Konsole-Stream-Start", m.start)
	}
	return &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(bytes.NewReader(m.body)), Request: r}, nil
}

// FuzzSSEReader feeds arbitrary bytes as Konsole's event stream through
// the bridge's real reading path: Follower.once, which runs the r3labs
// client (its EventStreamReader and event parsing) and hands every event to
// upstream.handle, then the hub that frames it for the clients. It checks:
// nothing panics; the stream's end is reached; event ids delivered only grow
// (until a reset, which restarts them at the stream's start); every
// delivered event is one JSON value and every frame a client would get is
// valid JSON and valid UTF-8 (a WebSocket text frame must be); the last id
// is what the bridge resumes from. The reader is also run on its own, as
// the brief of the fuzz target says: it must end and yield only bytes of
// the input.
func FuzzSSEReader(f *testing.F) {
	f.Add([]byte("id: 1\nevent: text.delta\ndata: {\"id\":1,\"type\":\"text.delta\",\"data\":{\"text\":\"hi\"}}\n\n"), int64(0))
	f.Add([]byte("event: reset\ndata: {\"type\":\"reset\",\"data\":{}}\n\nid: 3\ndata: {\"id\":3,\"type\":\"x\"}\n\n"), int64(2))
	f.Add([]byte("event: heartbeat\ndata: {\"type\":\"heartbeat\"}\r\n\r\nid: 2\r\ndata: {\"id\":2}\r\n\r\n"), int64(1))
	f.Add([]byte("data: {\"id\":5,\"type\":\"a\"}\ndata: {\"id\":4}\n\ndata: \"\xff\"\n\n"), int64(-1))
	f.Fuzz(func(t *testing.T, stream []byte, start int64) {
		// A hang is a failure too: crash the worker so that the fuzzer
		// keeps the input.
		hang := time.AfterFunc(30*time.Second, func() { panic(fmt.Sprintf("hung on %q (start %d)", stream, start)) })
		defer hang.Stop()
		// The reader alone: it ends, and yields only what it was given.
		rd := sse.NewEventStreamReader(bytes.NewReader(stream), 1<<16)
		for i := 0; ; i++ {
			ev, err := rd.ReadEvent()
			if err != nil {
				break
			}
			if len(ev) > len(stream) || !bytes.Contains(stream, ev) {
				t.Fatalf("the reader yielded %q, not in the input", ev)
			}
			if i > len(stream)+1 {
				t.Fatal("the reader does not end")
			}
		}

		hb := hub.New(hub.Options{ReplayFrames: 64, ReplayBytes: 1 << 30})
		// A first connection resumes from where Konsole says its stream
		// starts; a reset goes back there.
		last, resetTo := start, start
		u := upstream.New(upstream.Options{Display: "http://konsole.invalid", Endpoint: func(context.Context) (string, string, error) { return "http://konsole.invalid", "fuzz-token", nil },
			Client:   &http.Client{Transport: memStream{body: stream, start: strconv.FormatInt(start, 10)}},
			Watchdog: 30 * time.Second, MaxEvent: 1 << 16, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			SetState: func(upstream.State) {}, Deliver: func(ev upstream.Event) {
				if !json.Valid(ev.Raw) {
					t.Fatalf("delivered an event that is not JSON: %q", ev.Raw)
				}
				if ev.Type == "reset" {
					last = resetTo
				}
				if ev.ID != 0 {
					if ev.ID <= last {
						t.Fatalf("delivered id %d after %d", ev.ID, last)
					}
					last = ev.ID
				}
				hb.PublishEvent("local", ev) // must not panic
			}})
		// The first connection of a bridge starts where Konsole says.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		connected, _ := u.Once(ctx)
		if ctx.Err() != nil {
			t.Fatal("the stream was not read to its end")
		}
		if !connected {
			t.Fatal("a 200 answer did not count as connected")
		}
		if u.LastID() != last {
			t.Fatalf("the bridge would resume after %d, but delivered up to %d", u.LastID(), last)
		}
		for i, fr := range hb.Kept() {
			if !json.Valid(fr) || !utf8.Valid(fr) {
				t.Fatalf("frame %d is not valid UTF-8 JSON: %q", i, fr)
			}
		}
	})
}
