package bridge_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// latencyOf waits until Konsole id's latencyMs is set (want true) or
// null (want false).
func latencyOf(t *testing.T, h *bridgeHarness, id string, want bool, timeout time.Duration) bridge.KonsoleInfo {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, k := range h.b.Konsoles() {
			if k.ID == id && (k.LatencyMs != nil) == want {
				return k
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Konsole %s: latencyMs set %v not reached within %s: %+v", id, want, timeout, h.b.Konsoles())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A round trip says how a Konsole answers now: a check that gets no
// answer, and a connection that is gone, leave latencyMs null rather than
// the last good figure.
func TestFleetLatencyIsNullWhenTheKonsoleDoesNotAnswerOrIsNotConnected(t *testing.T) {
	k := kt.Start(t, kt.Options{})
	target, _ := url.Parse(k.URL)
	var hang, down atomic.Bool
	cut, cutAll := context.WithCancel(context.Background())
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case down.Load():
			http.Error(w, "down", http.StatusServiceUnavailable)
		case r.URL.Path == "/healthz" && hang.Load():
			<-r.Context().Done() // a Konsole that stopped answering
		default:
			// cutAll ends the requests in flight (the event stream).
			ctx, cancel := context.WithCancel(r.Context())
			defer context.AfterFunc(cut, cancel)()
			rp.ServeHTTP(w, r.WithContext(ctx))
		}
	}))
	// Cleanups run last first: the streams in flight end, then the server.
	t.Cleanup(front.Close)
	t.Cleanup(cutAll)
	h := startFleet(t, []bridge.KonsoleSpec{{ID: "k", Name: "K", URL: front.URL, Token: k.Token}}, func(c *bridge.Config) {
		c.HealthInterval = 200 * time.Millisecond
	})
	h.waitState("k", bridge.StateConnected, 10*time.Second)
	latencyOf(t, h, "k", true, 10*time.Second)

	hang.Store(true)
	if info := latencyOf(t, h, "k", false, 15*time.Second); info.State != bridge.StateConnected {
		t.Fatalf("the stream still runs, yet the state is %q", info.State)
	}
	hang.Store(false)
	latencyOf(t, h, "k", true, 10*time.Second)

	// The connection goes: no round trip to show.
	down.Store(true)
	cutAll()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info := h.b.Konsoles()[0]
		if info.State != bridge.StateConnected {
			if info.LatencyMs != nil {
				t.Fatalf("state %q with latencyMs %v", info.State, *info.LatencyMs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still connected after the Konsole went: %+v", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The state's error names the address once: not Go's `Get "URL": ...`
// after the sentence that already says it.
func TestFleetAKonsoleThatIsNotThereSaysSoOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ln.Close()
	h := startFleet(t, []bridge.KonsoleSpec{{ID: "gone", Name: "Gone", URL: addr, Token: "x"}}, nil)
	deadline := time.Now().Add(15 * time.Second)
	for {
		info := h.b.Konsoles()[0]
		if info.Error != "" {
			if !strings.Contains(info.Error, "failed to follow Konsole's events at "+addr) || strings.Contains(info.Error, `Get "`) || strings.Count(info.Error, addr+"/v1/events") != 1 {
				t.Fatalf("error %q", info.Error)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no error within 15 s: %+v", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
