package bridge_test

import (
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// TestConnectedHearsEachKonsoleEachTimeItsStreamConnects: at start, and
// again for a Konsole added at runtime, so that state kept beside the
// events (the desktop's tray) is fetched when a Konsole can answer.
func TestConnectedHearsEachKonsoleEachTimeItsStreamConnects(t *testing.T) {
	a, b := kt.Start(t, kt.Options{}), kt.Start(t, kt.Options{})
	heard := make(chan string, 16)
	h := startFleet(t, []bridge.KonsoleSpec{spec("a", a), spec("b", b)}, func(c *bridge.Config) {
		c.Connected = func(id string) { heard <- id }
	})
	next := func() string {
		t.Helper()
		select {
		case id := <-heard:
			return id
		case <-time.After(20 * time.Second):
			t.Fatal("Connected was not called")
			return ""
		}
	}
	got := map[string]bool{next(): true, next(): true}
	if !got["a"] || !got["b"] {
		t.Fatalf("Connected at start heard %v, want a and b", got)
	}
	if err := h.b.RemoveKonsole("b"); err != nil {
		t.Fatal(err)
	}
	if err := h.b.AddKonsole(spec("c", b)); err != nil {
		t.Fatal(err)
	}
	if id := next(); id != "c" {
		t.Fatalf("Connected heard %q after an add, want c", id)
	}
}
