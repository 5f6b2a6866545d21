package clock_test

import (
	"testing"
	"time"

	"github.com/konui/konui/backend/shared/clock"
)

func TestTheRealClockTicksAndTellsTheSystemTime(t *testing.T) {
	c := clock.Real()
	before := time.Now()
	if now := c.Now(); now.Before(before) || now.Sub(before) > time.Minute {
		t.Fatalf("Now() = %v, system time %v", now, before)
	}
	tk := c.NewTicker(time.Millisecond)
	defer tk.Stop()
	select {
	case at := <-tk.C():
		if at.Before(before) {
			t.Fatalf("a tick from %v, before the ticker was made (%v)", at, before)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a 1 ms ticker did not tick in 10 s")
	}
	tk.Stop()
	tk.Stop() // idempotent
}
