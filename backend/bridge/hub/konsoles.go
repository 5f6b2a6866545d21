package hub

import "github.com/konui/konui/backend/bridge/upstream"

// KonsoleInfo is one Konsole as GET /api/konsoles, hello and the konsoles
// frame show it.
type KonsoleInfo struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	State     string `json:"state"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Enabled   bool   `json:"enabled"`
	Removable bool   `json:"removable"`
	Attempt   int    `json:"attempt"`
	RetryInMs int64  `json:"retryInMs"`
	Error     string `json:"error"`
	// LatencyMs is the last round trip of GET /healthz, null until one
	// was measured.
	LatencyMs *float64 `json:"latencyMs"`
	// LastEventID is the last Konsole event id the bridge delivered.
	LastEventID int64 `json:"lastEventId,omitempty"`
}

// ConnState is the upstream.State part of the info.
func (i KonsoleInfo) ConnState() upstream.State {
	return upstream.State{State: i.State, URL: i.URL, Attempt: i.Attempt, RetryInMs: i.RetryInMs, Error: i.Error, LastID: i.LastEventID}
}

// SetState records a Konsole's state and tells every client.
func (h *Hub) SetState(id string, st upstream.State) {
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.findLocked(id)
	if i < 0 {
		return // removed meanwhile
	}
	k := &h.konsoles[i]
	k.State, k.Attempt, k.RetryInMs, k.Error = st.State, st.Attempt, st.RetryInMs, st.Error
	if st.State != upstream.StateConnected {
		k.LatencyMs = nil // a round trip is of a connection: none now
	}
	h.broadcastLocked(Encode(map[string]any{"type": "konsole", "konsoleId": id, "name": k.Name, "state": st.State, "url": k.URL,
		"attempt": st.Attempt, "retryInMs": st.RetryInMs, "error": st.Error}))
}

func (h *Hub) findLocked(id string) int {
	for i := range h.konsoles {
		if h.konsoles[i].ID == id {
			return i
		}
	}
	return -1
}

// konsolesFrameLocked tells every client the list changed.
func (h *Hub) konsolesFrameLocked() {
	h.broadcastLocked(Encode(map[string]any{"type": "konsoles", "konsoles": h.listLocked()}))
}

// AddKonsole appends a Konsole to the list and tells every client.
func (h *Hub) AddKonsole(info KonsoleInfo) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.konsoles = append(h.konsoles, info)
	h.konsolesFrameLocked()
}

// RemoveKonsole takes a Konsole off the list and tells every client.
func (h *Hub) RemoveKonsole(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		h.konsoles = append(h.konsoles[:i:i], h.konsoles[i+1:]...)
		h.konsolesFrameLocked()
	}
}

// UpdateKonsole changes a Konsole's entry and sends the konsoles frame.
func (h *Hub) UpdateKonsole(id string, change func(*KonsoleInfo)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		change(&h.konsoles[i])
		h.konsolesFrameLocked()
	}
}

// SetHealth records a /healthz round trip; a new version is news. A nil
// latencyMs is a check that got no answer (the version stays the last one
// known).
func (h *Hub) SetHealth(id string, latencyMs *float64, version string) {
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

// KonsoleInfo returns one Konsole's entry (its ID is "" when it is gone).
func (h *Hub) KonsoleInfo(id string) KonsoleInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := h.findLocked(id); i >= 0 {
		return h.konsoles[i]
	}
	return KonsoleInfo{}
}

// KonsoleInfos returns every Konsole's entry, in order.
func (h *Hub) KonsoleInfos() []KonsoleInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.listLocked()
}

// listLocked copies the entries (never nil: JSON [] rather than null).
func (h *Hub) listLocked() []KonsoleInfo {
	return append([]KonsoleInfo{}, h.konsoles...)
}

// primaryLocked is the local Konsole's entry, else the first one's.
func (h *Hub) primaryLocked() KonsoleInfo {
	for _, k := range h.konsoles {
		if k.ID == h.opts.Primary {
			return k
		}
	}
	if len(h.konsoles) > 0 {
		return h.konsoles[0]
	}
	return KonsoleInfo{State: upstream.StateDown, Error: "no Konsole is configured"}
}
