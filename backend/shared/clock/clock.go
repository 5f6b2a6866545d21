// Package clock is the seam between code whose subject is time (the
// bridge's keep-alive) and the time it reads: production passes Real, a
// test passes testkit/fakeclock and moves time itself, so that it waits
// for the event a duration stands for instead of for the duration.
package clock

import "time"

// Clock tells the time and makes tickers.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks on C until Stop, as time.Ticker does.
type Ticker interface {
	C() <-chan time.Time
	// Stop ends the ticks; idempotent.
	Stop()
}

// Real is the system clock.
func Real() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }
