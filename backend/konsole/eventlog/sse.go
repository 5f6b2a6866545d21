package eventlog

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole/store"
)

// StreamStartHeader carries the id after which an event stream starts.
const StreamStartHeader = "Konsole-Stream-Start"

// errStreamDone ends a replay at the event stop chose.
var errStreamDone = errors.New("stream done")

// sseWriter writes server-sent events and flushes when the writer has
// nothing more queued, so bursts go out in few packets.
type sseWriter struct {
	w  *bufio.Writer
	rc *http.ResponseController
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: bufio.NewWriterSize(w, 32<<10), rc: http.NewResponseController(w)}
}

func (s *sseWriter) event(r store.EventRow) error {
	// A writer without deadlines (http.ErrNotSupported) streams without one.
	_ = s.rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(s.w, "id: %d\nevent: %s\ndata: ", r.ID, r.Type)
	s.w.Write(r.Line)
	_, err := s.w.WriteString("\n\n")
	return err
}

// bare writes an event without an id: heartbeat and reset are not in the log.
func (s *sseWriter) bare(typ string) error {
	_ = s.rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) // as in event
	_, err := fmt.Fprintf(s.w, "event: %s\ndata: {\"type\":%q,\"at\":%q,\"data\":{}}\n\n", typ, typ, time.Now().UTC().Format(time.RFC3339Nano))
	return err
}

func (s *sseWriter) flush() error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	return s.rc.Flush()
}

// SinceOf reads the resume point: Last-Event-ID wins over ?since=. It
// returns -1 when the client asked for new events only.
func SinceOf(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = r.URL.Query().Get("since")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("the resume id %q is not a non-negative integer", v)
	}
	return n, nil
}

// Serve streams the log to w: a replay after sub's resume id, then live
// events, with a heartbeat every interval, until the client goes away or
// the log ends sub. filter, when set, selects events; stop, when set, ends
// the stream after the event it returns true for. Serve closes sub.
func Serve(w http.ResponseWriter, r *http.Request, sub *Subscription, heartbeat time.Duration, filter, stop func(store.EventRow) bool) {
	defer sub.Close()
	// A stream reads nothing more from the client: lift the body deadline
	// (httpguard.BodyDeadline), whatever the request's Accept header said.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{}) // a writer without deadlines has none to lift
	// Tells a client that connected without a resume id where it starts, so
	// that it can resume from there even before its first event arrives.
	w.Header().Set(StreamStartHeader, strconv.FormatInt(sub.since, 10))
	out := newSSEWriter(w)
	if sub.Reset() {
		if out.bare(contract.EvReset) != nil {
			return
		}
	}
	send := func(row store.EventRow) error {
		if filter != nil && !filter(row) {
			return nil
		}
		return out.event(row)
	}
	last, err := sub.Replay(func(row store.EventRow) error {
		if err := send(row); err != nil {
			return err
		}
		if stop != nil && stop(row) {
			return errStreamDone
		}
		return nil
	})
	// A replay that reached the stop event ends the stream: what it wrote
	// is still in the buffer and goes out first.
	if errors.Is(err, errStreamDone) {
		_ = out.flush() // the stream ends here either way
		return
	}
	if err != nil || out.flush() != nil {
		return
	}
	beat := time.NewTicker(heartbeat)
	defer beat.Stop()
	// catchUp reads from the store what the live feed dropped for this
	// reader, so that a slow reader falls behind without losing anything.
	// It returns false when the stream ends: the client went away, or the
	// stop event was sent (and flushed, with everything before it).
	catchUp := func(upto int64) bool {
		next, reset, err := sub.CatchUp(last, upto, func(row store.EventRow) error {
			if err := send(row); err != nil {
				return err
			}
			if stop != nil && stop(row) {
				return errStreamDone
			}
			return nil
		})
		if errors.Is(err, errStreamDone) {
			_ = out.flush() // the stream ends here either way
			return false
		}
		if err != nil {
			return false
		}
		if reset && out.bare(contract.EvReset) != nil {
			return false
		}
		last = next
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-beat.C:
			if out.bare(contract.EvHeartbeat) != nil || out.flush() != nil {
				return
			}
		case <-sub.Lagged():
			if !catchUp(0) || out.flush() != nil {
				return
			}
		case row, ok := <-sub.C():
			if !ok {
				_ = out.flush() // the stream ends here either way
				return
			}
			// A gap in ids means the live feed dropped events: read them
			// from the store first. Ids at or below last were sent already.
			if row.ID > last+1 && !catchUp(row.ID-1) {
				return
			}
			if row.ID <= last {
				continue
			}
			last = row.ID
			if send(row) != nil {
				return
			}
			if stop != nil && stop(row) {
				_ = out.flush() // the stream ends here either way
				return
			}
			if len(sub.C()) == 0 && out.flush() != nil {
				return
			}
		}
	}
}
