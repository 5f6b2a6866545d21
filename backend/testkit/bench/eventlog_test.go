package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/eventlog"
	"github.com/konui/konui/backend/konsole/store"
)

// logRun is one measurement of appending n events and delivering them to
// one subscriber.
type logRun struct {
	N         int
	AppendDur time.Duration // the Append calls alone
	Total     time.Duration // first Append to the subscriber holding the last event
	Resubs    int           // reconnects/resubscriptions after falling 8,192 events behind
	Err       error
}

func (r logRun) Rate() float64 {
	if r.Total <= 0 {
		return 0
	}
	return float64(r.N) / r.Total.Seconds()
}

const (
	benchSession = "0b6f2c1e-7d4a-4e8b-9a51-3f2d6c8e1a90"
	benchTurn    = "5e3a9c07-2b1d-4f6e-8c4a-7d9e0f1b2a36"
)

// appendN appends n text.delta events shaped like the session's own.
func appendN(l *eventlog.Log, n int) (time.Duration, error) {
	t0 := time.Now()
	for i := 0; i < n; i++ {
		if _, err := l.Append(contract.EvTextDelta, benchSession, benchTurn, map[string]any{"turnId": benchTurn, "text": "word" + strconv.Itoa(i) + " "}); err != nil {
			return time.Since(t0), err
		}
	}
	return time.Since(t0), nil
}

// measureLog appends n events to a Log over st and reads them with one
// Subscription, as the SSE handler does: live events, and what the live
// feed dropped while the reader was behind read back from the store.
func measureLog(st eventlog.EventStore, n int) logRun {
	r := logRun{N: n}
	l, err := eventlog.NewLog(st, 0, quiet())
	if err != nil {
		r.Err = err
		return r
	}
	defer l.Close()
	sub, err := l.Subscribe(-1)
	if err != nil {
		r.Err = err
		return r
	}
	first := l.LastID()
	target := first + int64(n)
	done := make(chan error, 1)
	go func() {
		last := first
		check := func(row store.EventRow) error {
			if row.ID != last+1 {
				return fmt.Errorf("event %d after %d", row.ID, last)
			}
			last = row.ID
			return nil
		}
		// Live events, and whatever the live feed dropped while the reader
		// was behind read back from the store, as the SSE handler does.
		for last < target {
			select {
			case <-sub.Lagged():
				r.Resubs++
				if _, _, err := sub.CatchUp(last, 0, check); err != nil {
					done <- err
					return
				}
			case row, ok := <-sub.C():
				if !ok {
					done <- fmt.Errorf("the subscription ended at %d of %d", last-first, n)
					return
				}
				if row.ID <= last {
					continue
				}
				if row.ID > last+1 {
					if _, _, err := sub.CatchUp(last, row.ID-1, check); err != nil {
						done <- err
						return
					}
				}
				if err := check(row); err != nil {
					done <- err
					return
				}
			}
		}
		sub.Close()
		done <- nil
	}()
	t0 := time.Now()
	r.AppendDur, r.Err = appendN(l, n)
	if r.Err != nil {
		return r
	}
	select {
	case r.Err = <-done:
	case <-time.After(5 * time.Minute):
		r.Err = fmt.Errorf("the subscriber did not get %d events in 5 minutes", n)
	}
	r.Total = time.Since(t0)
	return r
}

// measureHTTP runs a real Konsole server over SQLite, follows GET
// /v1/events over HTTP and appends n events to its log; after the server
// ends the stream (the reader fell 8,192 events behind) it reconnects with
// Last-Event-ID, as the bridge does.
func measureHTTP(dir string, n int) logRun {
	r := logRun{N: n}
	srv, err := konsole.New(konsole.Config{Listen: "127.0.0.1:0", Token: "bench-token", DataDir: dir, Claude: "false", Logger: quiet(), Version: "bench"})
	if err != nil {
		r.Err = err
		return r
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		r.Err = err
		return r
	}
	first := srv.Log().LastID()
	target := first + int64(n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	connect := func(since int64) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer bench-token")
		if since >= 0 {
			req.Header.Set("Last-Event-ID", strconv.FormatInt(since, 10))
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = fmt.Errorf("GET /v1/events: HTTP %d", resp.StatusCode)
		}
		return resp, err
	}
	// The subscription exists once the response headers arrive.
	resp, err := connect(-1)
	if err != nil {
		r.Err = err
		return r
	}
	done := make(chan error, 1)
	go func(resp *http.Response) {
		last := first
		idPrefix := []byte("id: ")
		for {
			br := bufio.NewReaderSize(resp.Body, 64<<10)
			for last < target {
				line, err := br.ReadSlice('\n')
				if err != nil {
					break
				}
				if !bytes.HasPrefix(line, idPrefix) {
					continue
				}
				id, _ := strconv.ParseInt(string(bytes.TrimSpace(line[len(idPrefix):])), 10, 64)
				if id <= last {
					continue
				}
				if id != last+1 {
					resp.Body.Close()
					done <- fmt.Errorf("event %d after %d", id, last)
					return
				}
				last = id
			}
			resp.Body.Close()
			if last >= target {
				done <- nil
				return
			}
			r.Resubs++
			var err error
			if resp, err = connect(last); err != nil {
				done <- err
				return
			}
		}
	}(resp)
	t0 := time.Now()
	r.AppendDur, r.Err = appendN(srv.Log(), n)
	if r.Err != nil {
		return r
	}
	select {
	case r.Err = <-done:
	case <-time.After(5 * time.Minute):
		r.Err = fmt.Errorf("the SSE reader did not get %d events in 5 minutes", n)
	}
	r.Total = time.Since(t0)
	return r
}

// BenchmarkEventLog measures events appended per second and delivered to
// one subscriber: the Log with a Subscription over SQLite and over the
// in-memory baseline (memoryEvents), and the full server path over
// SQLite (Server.Log().Append -> GET /v1/events over HTTP on loopback; the
// server cannot be built over memory). The three alternate, a fresh log
// each run. Knobs: KONUI_BENCH_LOG_EVENTS (50000), KONUI_BENCH_LOG_RUNS (5).
func BenchmarkEventLog(b *testing.B) {
	started("eventlog")
	n := envInt("KONUI_BENCH_LOG_EVENTS", 50_000)
	runs := envInt("KONUI_BENCH_LOG_RUNS", 5)
	type path struct {
		name  string
		desc  string
		runs  []logRun
		rates []float64
	}
	mem := &path{name: "memory", desc: "Log + Subscription over memoryEvents (baseline)"}
	sql := &path{name: "sqlite", desc: "Log + Subscription over SQLite (store.Open, WAL)"}
	web := &path{name: "http", desc: "Konsole server over SQLite: Server.Log().Append -> GET /v1/events over HTTP"}
	dir := b.TempDir()
	for i := 0; i <= runs; i++ { // run 0 warms up and is not counted
		for _, p := range []*path{mem, sql, web} {
			var r logRun
			switch p {
			case mem:
				r = measureLog(&memoryEvents{}, n)
			case sql:
				st, err := store.Open(filepath.Join(dir, fmt.Sprintf("log-%d.db", i)))
				if err != nil {
					b.Fatal(err)
				}
				r = measureLog(st, n)
				st.Close()
			case web:
				r = measureHTTP(filepath.Join(dir, fmt.Sprintf("server-%d", i)), n)
			}
			if r.Err != nil {
				b.Fatalf("%s: %v", p.name, r.Err)
			}
			if i > 0 {
				p.runs = append(p.runs, r)
				p.rates = append(p.rates, r.Rate())
			}
		}
	}
	b.ReportMetric(0, "ns/op")
	for _, p := range []*path{mem, sql, web} {
		b.ReportMetric(median(p.rates), p.name+"-events/s")
	}

	var body strings.Builder
	fmt.Fprintf(&body, "Each run appends %d `text.delta` events (the session's own shape, %d bytes each as stored) as fast as `Log.Append` takes them and times from the first Append until one subscriber holds the last event; events/s = %d / that time. %d runs per path after one warm-up run, the paths alternating, a fresh log (and database) each run. A subscriber that falls more than 8,192 events behind is not waited for: it reads what the live feed dropped back from the store (the Log's CatchUp, which the SSE handler uses too); those catch-ups are counted as resumptions and included in the time.\n\n", n, eventSize(), n, runs)
	body.WriteString("| path | median | min | max | ratio to memory (median) | Append calls alone (median) | resumptions (all runs) |\n|---|---|---|---|---|---|---|\n")
	base := median(mem.rates)
	for _, p := range []*path{mem, sql, web} {
		lo, hi := minMax(p.rates)
		var app []float64
		resubs := 0
		for _, r := range p.runs {
			app = append(app, float64(r.N)/r.AppendDur.Seconds())
			resubs += r.Resubs
		}
		fmt.Fprintf(&body, "| %s | %s | %s | %s | %s | %s | %d |\n", p.desc, rate(median(p.rates)), rate(lo), rate(hi),
			ratio(median(p.rates), base), rate(median(app)), resubs)
	}
	httpRate := median(web.rates)
	fmt.Fprintf(&body, "\nThe in-memory baseline goes through the Log and a Subscription only: Konsole's HTTP server is always built over SQLite, so there is no in-memory HTTP figure; compare like with like (the two Log + Subscription rows), and read the HTTP row as the whole durable path. Target: at least 20,000 events/s appended and delivered to one SSE subscriber (the HTTP row): **%s**.\n", verdict(httpRate >= 20000))
	addSection("eventlog", section{
		Title: "Event log: append and publish to one subscriber",
		Body:  body.String(),
		Targets: []target{{
			Figure:   "event log append + SSE publish, one subscriber over HTTP (SQLite)",
			Target:   ">= 20,000 events/s",
			Measured: fmt.Sprintf("%s median of %d runs (SQLite Log/memory Log: %s)", rate(httpRate), runs, ratio(median(sql.rates), base)),
			Result:   verdict(httpRate >= 20000),
		}},
	})
}

// eventSize is the stored size of one benchmark event.
func eventSize() int { return len(eventLine()) }

// eventLine is one benchmark event as the Log stores it.
func eventLine() []byte {
	m := &memoryEvents{}
	l, err := eventlog.NewLog(m, 0, quiet())
	if err != nil {
		return nil
	}
	defer l.Close()
	if _, err := appendN(l, 1); err != nil {
		return nil
	}
	l.Flush()
	rows, _ := m.EventsAfter(0, 1, 1)
	if len(rows) == 0 {
		return nil
	}
	return rows[0].Line
}
