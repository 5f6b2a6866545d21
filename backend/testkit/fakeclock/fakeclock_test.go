package fakeclock_test

import (
	"testing"
	"time"

	"github.com/konui/konui/backend/testkit/fakeclock"
)

func TestAdvanceHandsEachDueTickToItsOwnerAndDropsTheMissedOnes(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := fakeclock.New(start)
	tk := c.NewTicker(10 * time.Second)
	c.WaitTickers(t, 1)
	advanced := make(chan struct{})
	go func() { c.Advance(5 * time.Second); c.Advance(30 * time.Second); close(advanced) }()
	// 5 s: nothing due. 35 s: the ticks of 10, 20 and 30 s are due; the
	// owner gets the latest, once.
	if at := <-tk.C(); !at.Equal(start.Add(30 * time.Second)) {
		t.Fatalf("tick at %v, want %v", at, start.Add(30*time.Second))
	}
	<-advanced
	if now := c.Now(); !now.Equal(start.Add(35 * time.Second)) {
		t.Fatalf("Now() = %v", now)
	}
	go c.Advance(5 * time.Second) // 40 s: the next tick
	if at := <-tk.C(); !at.Equal(start.Add(40 * time.Second)) {
		t.Fatalf("tick at %v, want 40s", at)
	}
	tk.Stop()
	tk.Stop()
	c.WaitTickers(t, 0)
	// A stopped ticker is not waited for.
	c.Advance(time.Hour)
	if c.Tickers() != 0 {
		t.Fatalf("%d tickers after Stop", c.Tickers())
	}
}
