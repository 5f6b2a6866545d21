package upstream

import (
	"testing"
	"time"
)

// After a stream that worked ends, Konsole is probably restarting: the
// bridge resumes at once, retries every quickRetry while it comes back,
// and only then falls back to the backoff, whose attempts count from 1.
// People are shown every try since the stream ended, counted from 1.
func TestRetryPlanFollowsARestartingKonsoleQuickly(t *testing.T) {
	p := newRetryPlan(Backoff{Min: time.Second, Max: 30 * time.Second})
	if d, try, n := p.next(true, time.Minute); d != 0 || try != 1 || n != 0 {
		t.Fatalf("after a stream that worked: wait %s (try %d, attempt %d), want to resume at once as try 1", d, try, n)
	}
	for i := 0; i < quickRetries; i++ {
		if d, try, n := p.next(false, 0); d != quickRetry || try != i+2 || n != 0 {
			t.Fatalf("quick retry %d: wait %s (try %d, attempt %d), want %s, try %d, uncounted by the backoff", i, d, try, n, quickRetry, i+2)
		}
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if d, try, n := p.next(false, 0); d != want || n != i+1 || try != quickRetries+i+2 {
			t.Fatalf("backoff step %d: wait %s (try %d, attempt %d), want %s (attempt %d)", i, d, try, n, want, i+1)
		}
	}
	// A connection that ends at once is a failure: no quick retries.
	if d, try, n := p.next(true, 10*time.Millisecond); d != time.Second || try != 1 || n != 1 {
		t.Fatalf("after a stream that ended at once: wait %s (try %d, attempt %d), want 1s (try 1, attempt 1)", d, try, n)
	}
	if d, _, _ := p.next(false, 0); d != 2*time.Second {
		t.Fatalf("then: wait %s, want 2s", d)
	}
}

// A bridge that never connected uses the backoff from the first failure.
func TestRetryPlanBacksOffWhenKonsoleWasNeverReached(t *testing.T) {
	p := newRetryPlan(Backoff{Min: time.Second, Max: 4 * time.Second})
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		if d, try, n := p.next(false, 0); d != want || n != i+1 || try != i+1 {
			t.Fatalf("attempt %d: wait %s (try %d, attempt %d), want %s", i+1, d, try, n, want)
		}
	}
}
