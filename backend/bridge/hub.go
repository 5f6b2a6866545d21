package bridge

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"

	"github.com/konui/konui/backend/contract"
)

// frame is one sequenced frame; data is shared by every client's queue.
type frame struct {
	seq  int64
	data []byte
}

// hub numbers frames, keeps the newest of them for replay, and fans them out
// to the clients' queues without ever waiting on a client.
type hub struct {
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

func newHub(ringSize, maxBytes int) *hub {
	return &hub{ring: make([]frame, ringSize), maxBytes: maxBytes, clients: map[*client]struct{}{}, byID: map[string]*client{}}
}

// dropOldestLocked forgets the oldest frame kept for replay.
func (h *hub) dropOldestLocked() {
	h.bytes -= len(h.ring[h.head].data)
	h.ring[h.head] = frame{}
	h.head = (h.head + 1) % len(h.ring)
	h.size--
}

// mustJSON encodes a frame. It leaves <, > and & as they are: frames are
// no HTML, and the \u003c escapes made an agent's output of '<' six
// times its size in every frame kept and sent.
func mustJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only values built here are encoded: a failure is a bug
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// publishEvent sequences an event of Konsole konsoleID and sends it to
// every client. One counter for all Konsoles keeps since exact.
func (h *hub) publishEvent(konsoleID string, ev upstreamEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	var data []byte
	if ev.Type == contract.EvReset {
		// Konsole's own log was cut: clients must refetch its state.
		data = mustJSON(map[string]any{"type": "resync", "seq": h.seq, "reason": "konsole-reset", "konsoleId": konsoleID})
	} else {
		data = mustJSON(struct {
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

// setState records a Konsole's state and tells every client.
func (h *hub) setState(id string, st KonsoleState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.findLocked(id)
	if i < 0 {
		return // removed meanwhile
	}
	k := &h.konsoles[i]
	k.State, k.Attempt, k.RetryInMs, k.Error = st.State, st.Attempt, st.RetryInMs, st.Error
	if st.State != StateConnected {
		k.LatencyMs = nil // a round trip is of a connection: none now
	}
	h.broadcastLocked(mustJSON(map[string]any{"type": "konsole", "konsoleId": id, "name": k.Name, "state": st.State, "url": k.URL,
		"attempt": st.Attempt, "retryInMs": st.RetryInMs, "error": st.Error}))
}

func (h *hub) findLocked(id string) int {
	for i := range h.konsoles {
		if h.konsoles[i].ID == id {
			return i
		}
	}
	return -1
}

// konsolesFrameLocked tells every client the list changed.
func (h *hub) konsolesFrameLocked() {
	h.broadcastLocked(mustJSON(map[string]any{"type": "konsoles", "konsoles": h.listLocked()}))
}

func (h *hub) addKonsole(info KonsoleInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.konsoles = append(h.konsoles, info)
	h.konsolesFrameLocked()
}

func (h *hub) removeKonsole(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		h.konsoles = append(h.konsoles[:i:i], h.konsoles[i+1:]...)
		h.konsolesFrameLocked()
	}
}

// updateKonsole changes a Konsole's entry and sends the konsoles frame.
func (h *hub) updateKonsole(id string, change func(*KonsoleInfo)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		change(&h.konsoles[i])
		h.konsolesFrameLocked()
	}
}

// setHealth records a /healthz round trip; a new version is news. A nil
// latencyMs is a check that got no answer (the version stays the last one
// known).
func (h *hub) setHealth(id string, latencyMs *float64, version string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		k := &h.konsoles[i]
		k.LatencyMs = latencyMs
		if latencyMs == nil {
			return
		}
		if k.Version != version {
			k.Version = version
			h.konsolesFrameLocked()
		}
	}
}

// konsoleInfo returns one Konsole's entry (its ID is "" when it is gone).
func (h *hub) konsoleInfo(id string) KonsoleInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		return h.konsoles[i]
	}
	return KonsoleInfo{}
}

func (h *hub) konsoleInfos() []KonsoleInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.listLocked()
}

// listLocked copies the entries (never nil: JSON [] rather than null).
func (h *hub) listLocked() []KonsoleInfo {
	return append([]KonsoleInfo{}, h.konsoles...)
}

// primaryLocked is the local Konsole's entry, else the first one's.
func (h *hub) primaryLocked() KonsoleInfo {
	for _, k := range h.konsoles {
		if k.ID == LocalID {
			return k
		}
	}
	if len(h.konsoles) > 0 {
		return h.konsoles[0]
	}
	return KonsoleInfo{State: StateDown, Error: "no Konsole is configured"}
}

func (h *hub) broadcastLocked(data []byte) {
	for c := range h.clients {
		if !c.send(data) {
			h.dropLocked(c)
			c.close(CloseOverflow, "too slow: reconnect with since to resume")
		}
	}
}

func (h *hub) dropLocked(c *client) {
	delete(h.clients, c)
	if h.byID[c.id] == c {
		delete(h.byID, c.id)
	}
}

// attach registers c, replacing a client with the same clientId (the
// connection lock), and queues hello and the replay after since (or resync
// when since is out of the buffer). since < 0 means no replay.
func (h *hub) attach(c *client, since int64, heartbeat time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.byID[c.id]; old != nil && c.id != "" {
		h.dropLocked(old)
		old.close(CloseReplaced, "replaced by a newer connection with the same clientId")
	}
	st := h.primaryLocked()
	konsoles := h.listLocked()
	c.send(mustJSON(map[string]any{"type": "hello", "seq": h.seq, "heartbeatMs": heartbeat.Milliseconds(),
		"konsole":  map[string]any{"konsoleId": st.ID, "name": st.Name, "url": st.URL, "state": st.State, "attempt": st.Attempt, "retryInMs": st.RetryInMs, "error": st.Error},
		"konsoles": konsoles}))
	if since >= 0 {
		oldest := h.seq - int64(h.size) // frames after oldest are kept
		switch {
		case since > h.seq || since < oldest:
			c.send(mustJSON(map[string]any{"type": "resync", "seq": h.seq, "reason": "since-out-of-range"}))
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

func (h *hub) detach(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		h.dropLocked(c)
	}
}

func (h *hub) stats() (seq int64, clients int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq, len(h.clients)
}

// replayStats returns the frames and bytes kept for replay.
func (h *hub) replayStats() (frames, bytes int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.size, h.bytes
}

func (h *hub) closeAll(code int, reason string) {
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
