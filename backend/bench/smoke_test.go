package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/konui/konui/backend/store"
)

// These quick tests keep the benchmark code working under "go test ./...":
// small runs of each path, checked for completeness only, never for speed.

func TestPercentileIsNearestRank(t *testing.T) {
	var d dist
	for i := 1; i <= 20; i++ {
		d = append(d, time.Duration(21-i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 10 * time.Millisecond}, {90, 18 * time.Millisecond}, {99, 20 * time.Millisecond}, {0, time.Millisecond}} {
		if got := d.pct(c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if median([]float64{3, 1, 2, 10}) != 2.5 {
		t.Error("median of an even sample")
	}
}

func TestBridgePathsDeliverEveryEvent(t *testing.T) {
	bl := startBaseline(t)
	ch := startChain(t)
	for name, r := range map[string]*run{"baseline": bl.measure(2000, 300), "chain": ch.measure(2000, 300)} {
		if r.Err != nil || !r.Done || r.Lost() != 0 || r.Sent != 300 || len(r.Lat) != 300 {
			t.Errorf("%s: err %v, done %v, sent %d, lost %d, samples %d", name, r.Err, r.Done, r.Sent, r.Lost(), len(r.Lat))
		}
	}
}

func TestEventLogPathsDeliverEveryEvent(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, r := range map[string]logRun{
		"memory": measureLog(&memoryEvents{}, 3000),
		"sqlite": measureLog(st, 3000),
		"http":   measureHTTP(t.TempDir(), 3000),
	} {
		if r.Err != nil || r.Total <= 0 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if eventSize() < 100 {
		t.Errorf("event size %d", eventSize())
	}
}
