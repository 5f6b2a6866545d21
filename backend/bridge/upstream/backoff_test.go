package upstream

import (
	"testing"
	"time"
)

// The schedule of docs/protocol.md: 1 s doubling to 30 s with ±20% jitter,
// never giving up, back to 1 s after a connection.
func TestTheReconnectScheduleDoublesFromOneSecondToThirtyWithJitterAndNeverStops(t *testing.T) {
	s := DefaultBackoff.schedule()
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for round := 0; round < 2; round++ {
		for i, w := range want {
			w *= time.Second
			got := s.NextBackOff()
			if got < w*8/10 || got > w*12/10 {
				t.Fatalf("round %d, delay %d = %v, want %v ±20%%", round, i+1, got, w)
			}
		}
		for range 100 {
			if got := s.NextBackOff(); got <= 0 || got > 36*time.Second {
				t.Fatalf("a later delay = %v: the schedule stopped or overran", got)
			}
		}
		s.Reset()
	}
}
