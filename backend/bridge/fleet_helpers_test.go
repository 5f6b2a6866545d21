package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// spec is a KonsoleSpec for a test Konsole.
func spec(id string, k *kt.Harness) bridge.KonsoleSpec {
	return bridge.KonsoleSpec{ID: id, Name: "Konsole " + id, URL: k.URL, Token: k.Token}
}

// startFleet runs a bridge that follows specs.
func startFleet(t *testing.T, specs []bridge.KonsoleSpec, tweak func(*bridge.Config)) *bridgeHarness {
	t.Helper()
	return startBridge(t, "", "", func(c *bridge.Config) {
		c.Konsoles = specs
		if tweak != nil {
			tweak(c)
		}
	})
}

// waitState waits until Konsole id is in state.
func (h *bridgeHarness) waitState(id, state string, timeout time.Duration) bridge.KonsoleInfo {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, k := range h.b.Konsoles() {
			if k.ID == id && k.State == state {
				return k
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("Konsole %s not %s within %s: %+v", id, state, timeout, h.b.Konsoles())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// call makes a REST call to the bridge and returns the status and the
// decoded JSON answer (failing on an answer that is not JSON).
func (h *bridgeHarness) call(method, path string, body string) (int, map[string]any) {
	h.t.Helper()
	status, raw := h.callRaw(method, path, body)
	var m map[string]any
	if len(strings.TrimSpace(string(raw))) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			h.t.Fatalf("%s %s: %d, not JSON: %q", method, path, status, raw)
		}
	}
	return status, m
}

func (h *bridgeHarness) callRaw(method, path string, body string) (int, []byte) {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+h.token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// blackhole is a TCP listener that accepts connections and never answers:
// a Konsole that hangs.
func blackhole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// testFleet is a bridge.Fleet over a fixed set of known Konsoles: a URL
// it knows becomes that Konsole, anything else is refused as a Fleet
// would refuse it.
type testFleet struct {
	mu      sync.Mutex
	known   map[string]*kt.Harness // by URL
	added   []string
	updates []string
	removed []string
	closed  map[string]int
}

func (f *testFleet) Add(ctx context.Context, req bridge.AddKonsole) (bridge.KonsoleSpec, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Pairing != "" {
		return bridge.KonsoleSpec{}, &bridge.APIError{Status: http.StatusBadRequest, Code: "pairing_invalid", Message: "this is not a pairing string"}
	}
	if req.SSH != "" {
		return bridge.KonsoleSpec{}, errors.New("ssh is not set up here")
	}
	k := f.known[req.URL]
	if k == nil {
		return bridge.KonsoleSpec{}, &bridge.APIError{Status: http.StatusBadGateway, Code: "konsole_unreachable", Message: "nothing answers at " + req.URL}
	}
	if req.Token != k.Token {
		return bridge.KonsoleSpec{}, &bridge.APIError{Status: http.StatusUnauthorized, Code: "konsole_unauthorized", Message: "the Konsole refused the token"}
	}
	id := "remote-" + string(rune('a'+len(f.added)))
	f.added = append(f.added, id)
	return bridge.KonsoleSpec{ID: id, Name: req.Name, URL: k.URL, Token: k.Token, Kind: "url", Close: func() {
		f.mu.Lock()
		f.closed[id]++
		f.mu.Unlock()
	}}, nil
}

func (f *testFleet) Update(id string, name *string, enabled *bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := id
	if name != nil {
		u += " name=" + *name
	}
	if enabled != nil {
		u += " enabled=" + map[bool]string{true: "true", false: "false"}[*enabled]
	}
	f.updates = append(f.updates, u)
	return nil
}

func (f *testFleet) Remove(id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removed = append(f.removed, id)
	return nil
}

// eventsOf returns the event frames among fs that came from Konsole id.
func eventsOf(fs []frame, id string) []frame {
	var out []frame
	for _, f := range fs {
		if f.Type == "event" && f.KonsoleID == id {
			out = append(out, f)
		}
	}
	return out
}

// promptTurn sends a prompt on the WebSocket and returns its turn id.
func (c *wsClient) promptTurn(sid, text string) string {
	c.t.Helper()
	a := c.request("prompt", map[string]any{"sessionId": sid, "text": text})
	if !a.OK {
		c.t.Fatalf("prompt %s: %s (%s)", sid, a.Error, a.Code)
	}
	var r struct{ TurnID string }
	json.Unmarshal(a.Result, &r)
	return r.TurnID
}
