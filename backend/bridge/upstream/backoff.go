package upstream

import (
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Backoff is the reconnect schedule: Min doubling to Max, with jitter.
type Backoff struct {
	Min, Max time.Duration
	// Jitter is the fraction of each delay that is randomised (0.2 = +-20%).
	Jitter float64
}

// DefaultBackoff is the schedule of docs/protocol.md: 1 s doubling to
// 30 s, with 20% jitter.
var DefaultBackoff = Backoff{Min: time.Second, Max: 30 * time.Second, Jitter: 0.2}

// schedule returns the reconnect delays as a cenkalti/backoff policy that
// never gives up: the bridge follows Konsole for as long as it runs.
func (b Backoff) schedule() *backoff.ExponentialBackOff {
	eb := &backoff.ExponentialBackOff{InitialInterval: b.Min, MaxInterval: b.Max, Multiplier: 2,
		RandomizationFactor: b.Jitter, MaxElapsedTime: 0, Stop: backoff.Stop, Clock: backoff.SystemClock}
	eb.Reset()
	return eb
}

// retryPlan says when to connect again after a connection ended.
type retryPlan struct {
	schedule *backoff.ExponentialBackOff
	tries    int // connections tried since the last one that connected
	attempt  int // of those, the failures counted by the backoff
	quick    int // quick retries left after a stream that worked ended
}

func newRetryPlan(b Backoff) *retryPlan { return &retryPlan{schedule: b.schedule()} }

// After a stream that worked for a while ends (Konsole restarting, a proxy
// timing out) the bridge resumes at once and, while Konsole is coming back,
// tries again every quickRetry for quickRetries times before the backoff:
// a Konsole restart is followed within a tenth of a second of its return
// instead of after the backoff's first steps (seconds).
const (
	quickRetries = 10
	quickRetry   = 100 * time.Millisecond
)

// next returns the wait before the next connection, which try it is since
// the last connection (what people are shown), and how many backoff
// failures came before it (what "down" is judged by: quick retries and a
// resume do not count), given whether the last connection connected and
// how long it lasted.
func (p *retryPlan) next(connected bool, lasted time.Duration) (delay time.Duration, try, attempt int) {
	if connected {
		p.tries, p.attempt = 0, 0
		p.schedule.Reset()
		if lasted > time.Second {
			p.quick = quickRetries
			p.tries++
			return 0, p.tries, 0
		}
		p.quick = 0 // a stream that ends at once is a failure like any other
	} else if p.quick > 0 {
		p.quick--
		p.tries++
		return quickRetry, p.tries, 0
	}
	p.tries++
	p.attempt++
	return p.schedule.NextBackOff(), p.tries, p.attempt
}
