package hub

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"

	"github.com/konui/konui/backend/bridge/upstream"
	"github.com/konui/konui/backend/contract"
)

// frame is one sequenced frame; data is shared by every client's queue.
type frame struct {
	seq  int64
	data []byte
}

// Hub numbers frames, keeps the newest of them for replay, and fans them
// out to the clients' queues without ever waiting on a client. The caller
// should call CloseAll when it shuts down.
type Hub struct {
	opts Options
	mu   sync.Mutex
	seq  int64
	ring []frame
	head int // index of the oldest frame
	size int
	// bytes is the size of the frames kept; maxBytes bounds it (the
	// oldest go first), whatever their count.
	bytes, maxBytes int
	clients         map[*client]struct{}
	byID            map[string]*client
	// konsoles are the Konsoles followed, in order, as clients see them:
	// kept here, under the lock that sends, so that hello and the
	// konsole frames after it never disagree.
	konsoles []KonsoleInfo
}

// New makes a hub; zero options take the defaults noted beside them.
func New(o Options) *Hub {
	o.defaults()
	return &Hub{opts: o, ring: make([]frame, o.ReplayFrames), maxBytes: o.ReplayBytes, clients: map[*client]struct{}{}, byID: map[string]*client{}}
}

// dropOldestLocked forgets the oldest frame kept for replay.
func (h *Hub) dropOldestLocked() {
	h.bytes -= len(h.ring[h.head].data)
	h.ring[h.head] = frame{}
	h.head = (h.head + 1) % len(h.ring)
	h.size--
}

// Encode encodes a frame. It leaves <, > and & as they are: frames are
// no HTML, and the \u003c escapes made an agent's output of '<' six
// times its size in every frame kept and sent.
func Encode(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only values built here are encoded: a failure is a bug
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// PublishEvent sequences an event of Konsole konsoleID and sends it to
// every client. One counter for all Konsoles keeps since exact.
func (h *Hub) PublishEvent(konsoleID string, ev upstream.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	var data []byte
	if ev.Type == contract.EvReset {
		// Konsole's own log was cut: clients must refetch its state.
		data = Encode(map[string]any{"type": "resync", "seq": h.seq, "reason": "konsole-reset", "konsoleId": konsoleID})
	} else {
		data = Encode(struct {
			Type      string          `json:"type"`
			Seq       int64           `json:"seq"`
			KonsoleID string          `json:"konsoleId"`
			Event     json.RawMessage `json:"event"`
		}{"event", h.seq, konsoleID, ev.Raw})
	}
	f := frame{seq: h.seq, data: data}
	if h.size == len(h.ring) {
		h.dropOldestLocked()
	}
	h.ring[(h.head+h.size)%len(h.ring)] = f
	h.size++
	h.bytes += len(data)
	// Kept frames always end at h.seq, so a frame larger than the whole
	// budget is not kept either: a client resuming before it resyncs.
	for h.size > 0 && h.bytes > h.maxBytes {
		h.dropOldestLocked()
	}
	for c := range h.clients {
		if !c.send(f.data) {
			h.dropLocked(c)
			c.close(CloseOverflow, "too slow: reconnect with since to resume")
		}
	}
}

func (h *Hub) broadcastLocked(data []byte) {
	for c := range h.clients {
		if !c.send(data) {
			h.dropLocked(c)
			c.close(CloseOverflow, "too slow: reconnect with since to resume")
		}
	}
}

func (h *Hub) dropLocked(c *client) {
	delete(h.clients, c)
	if h.byID[c.id] == c {
		delete(h.byID, c.id)
	}
}

// attach registers c, replacing a client with the same clientId (the
// connection lock), and queues hello and the replay after since (or resync
// when since is out of the buffer). since < 0 means no replay.
func (h *Hub) attach(c *client, since int64, heartbeat time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.byID[c.id]; old != nil && c.id != "" {
		h.dropLocked(old)
		old.close(CloseReplaced, "replaced by a newer connection with the same clientId")
	}
	st := h.primaryLocked()
	konsoles := h.listLocked()
	c.send(Encode(map[string]any{"type": "hello", "seq": h.seq, "heartbeatMs": heartbeat.Milliseconds(),
		"konsole":  map[string]any{"konsoleId": st.ID, "name": st.Name, "url": st.URL, "state": st.State, "attempt": st.Attempt, "retryInMs": st.RetryInMs, "error": st.Error},
		"konsoles": konsoles}))
	if since >= 0 {
		oldest := h.seq - int64(h.size) // frames after oldest are kept
		switch {
		case since > h.seq || since < oldest:
			c.send(Encode(map[string]any{"type": "resync", "seq": h.seq, "reason": "since-out-of-range"}))
		default:
			for i := 0; i < h.size; i++ {
				f := h.ring[(h.head+i)%len(h.ring)]
				if f.seq > since {
					c.send(f.data)
				}
			}
		}
	}
	h.clients[c] = struct{}{}
	if c.id != "" {
		h.byID[c.id] = c
	}
}

func (h *Hub) detach(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		h.dropLocked(c)
	}
}

// Stats returns the last frame's number and the clients attached.
func (h *Hub) Stats() (seq int64, clients int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq, len(h.clients)
}

// Kept returns the frames kept for replay, oldest first, as a client
// resuming before them would get them.
func (h *Hub) Kept() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([][]byte, h.size)
	for i := range out {
		out[i] = h.ring[(h.head+i)%len(h.ring)].data
	}
	return out
}

// ReplayStats returns the frames and bytes kept for replay.
func (h *Hub) ReplayStats() (frames, bytes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.size, h.bytes
}

// CloseAll closes every client with code and reason (a shutdown).
func (h *Hub) CloseAll(code int, reason string) {
	h.mu.Lock()
	all := make([]*client, 0, len(h.clients))
	for c := range h.clients {
		all = append(all, c)
		h.dropLocked(c)
	}
	h.mu.Unlock()
	for _, c := range all {
		c.close(code, reason)
	}
}
