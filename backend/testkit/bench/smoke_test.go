package bench

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/store"
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

func TestFleetRigDeliversEveryEventAndResumesAKilledKonsoleExactly(t *testing.T) {
	r := startFleetRig(t, 2, 2)
	full := r.measure(100, 50, nil)
	if full.Err != nil || full.lost("") != 0 || full.sent("") != 200 || len(full.all("")) != 200 || len(full.bridge("")) != 200 || full.faults("")+full.SeqGaps != 0 {
		t.Fatalf("err %v, sent %d, lost %d, samples %d, bridge samples %d, faults %d, gaps %d", full.Err, full.sent(""), full.lost(""),
			len(full.all("")), len(full.bridge("")), full.faults(""), full.SeqGaps)
	}
	killed := r.measure(100, 300, func() {
		time.Sleep(time.Second)
		r.ks[1].kill9()
		time.Sleep(500 * time.Millisecond)
		if err := r.ks[1].start(); err != nil {
			t.Error(err)
		}
	})
	logged, lost, dup, err := r.exact(1, killed.IDs["k1"])
	if killed.Err != nil || err != nil || lost != 0 || dup != 0 || logged != len(killed.IDs["k1"]) || killed.lost("k1") != 0 || killed.Interrupted != 2 {
		t.Fatalf("err %v / %v; killed Konsole: log %d, received %d, lost %d, dup %d; the other lost %d; interrupted %d",
			killed.Err, err, logged, len(killed.IDs["k1"]), lost, dup, killed.lost("k1"), killed.Interrupted)
	}
}
