package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/konsole/store"
)

// BenchmarkEventWrites times Konsole's event writes one commit at a time,
// as an agent streaming deltas makes them, at KONUI_BENCH_WRITE_RATE
// (1,000) commits/s: over Konsole's store (WAL checkpoints in the
// background) and, as the baseline, the same store with SQLite's automatic
// checkpoints, which run inside the commit that takes the write-ahead log
// past 1,000 pages. KONUI_BENCH_WRITE_ROUNDS (6) rounds of
// KONUI_BENCH_WRITE_EVENTS (2,000) per path, alternating, each path on one
// database throughout.
func BenchmarkEventWrites(b *testing.B) {
	started("event-writes")
	rt := envInt("KONUI_BENCH_WRITE_RATE", 1000)
	rounds := envInt("KONUI_BENCH_WRITE_ROUNDS", 6)
	per := envInt("KONUI_BENCH_WRITE_EVENTS", 2000)
	line := eventLine()
	type path struct {
		name string
		st   *store.Store
		wal  string
		lat  dist
		next int64
		peak int64
	}
	dir := b.TempDir()
	open := func(name string, o store.Options) *path {
		db := filepath.Join(dir, name+".db")
		st, err := store.OpenWith(db, o)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return &path{name: name, st: st, wal: db + "-wal"}
	}
	base := open("baseline: SQLite's automatic checkpoints, inside commits", store.Options{SQLiteCheckpoints: true})
	kon := open("Konsole: checkpoints in the background", store.Options{})
	total0, steal0 := cpuTicks()
	for i := 0; i <= rounds; i++ { // round 0 warms up and is not counted
		for _, p := range []*path{base, kon} {
			gap := time.Second / time.Duration(rt)
			next := time.Now()
			for n := 0; n < per; n++ {
				next = next.Add(gap)
				time.Sleep(time.Until(next))
				p.next++
				t0 := time.Now()
				if err := p.st.AppendEvents([]store.EventRow{{ID: p.next, Type: "text.delta", SessionID: benchSession, TurnID: benchTurn, Line: line}}); err != nil {
					b.Fatalf("%s: %v", p.name, err)
				}
				if i > 0 {
					p.lat = append(p.lat, time.Since(t0))
				}
				if n%100 == 0 {
					if fi, err := os.Stat(p.wal); err == nil && fi.Size() > p.peak {
						p.peak = fi.Size()
					}
				}
			}
		}
	}
	total1, steal1 := cpuTicks()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(base.lat.pct(99.9)), "baseline-p99.9-ms")
	b.ReportMetric(msf(kon.lat.pct(99.9)), "konsole-p99.9-ms")

	var body strings.Builder
	fmt.Fprintf(&body, "Each path commits one `text.delta` event (%d bytes) at a time at %d commits/s, as an agent streaming deltas makes them: %d rounds of %d per path after a warm-up round, the paths alternating, each on one database throughout. Time is `Store.AppendEvents` alone (BEGIN, the prepared INSERT, COMMIT). Both paths write on the same connection with the INSERT prepared once; they differ only in who checkpoints the write-ahead log. The largest log is the `-wal` file's size, read every 100 commits. CPU steal over the benchmark: %.1f%%.\n\n",
		len(line), rt, rounds, per, stealShare(total0, steal0, total1, steal1))
	body.WriteString("| path | commits | p50 | p99 | p99.9 | max | largest write-ahead log |\n|---|---|---|---|---|---|---|\n")
	for _, p := range []*path{base, kon} {
		fmt.Fprintf(&body, "| %s | %d | %s | %s | %s | %s | %.1f MiB |\n", p.name, len(p.lat), ms(p.lat.pct(50)), ms(p.lat.pct(99)), ms(p.lat.pct(99.9)), ms(p.lat.max()), float64(p.peak)/(1<<20))
	}
	fmt.Fprintf(&body, "\nRatio Konsole/baseline: %s at p50, %s at p99, %s at p99.9. No target of its own: this is the commit that stands between an agent's output and the event stream (an event is published once it is committed), so its tail is part of the bridge latency below.\n",
		ratio(msf(kon.lat.pct(50)), msf(base.lat.pct(50))), ratio(msf(kon.lat.pct(99)), msf(base.lat.pct(99))), ratio(msf(kon.lat.pct(99.9)), msf(base.lat.pct(99.9))))
	addSection("event-writes", section{Title: fmt.Sprintf("Konsole: event commits at %d/s", rt), Body: body.String()})
}
