package defaults_test

import (
	"testing"
	"time"

	"github.com/konui/konui/backend/shared/defaults"
)

func TestSetFillsZeroAndNegativeAndKeepsWhatWasGiven(t *testing.T) {
	var zero, negative, given time.Duration = 0, -time.Second, 3 * time.Second
	defaults.Set(&zero, 30*time.Second)
	defaults.Set(&negative, 30*time.Second)
	defaults.Set(&given, 30*time.Second)
	if zero != 30*time.Second || negative != 30*time.Second || given != 3*time.Second {
		t.Fatalf("durations: zero %v, negative %v, given %v; want 30s, 30s, 3s", zero, negative, given)
	}
	n, m := 0, 7
	defaults.Set(&n, 4096)
	defaults.Set(&m, 4096)
	if n != 4096 || m != 7 {
		t.Fatalf("sizes: %d, %d; want 4096, 7", n, m)
	}
	var limit int64
	defaults.Set(&limit, 1<<20)
	if limit != 1<<20 {
		t.Fatalf("int64: %d", limit)
	}
}
