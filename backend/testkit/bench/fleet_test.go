package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/bridge"
)

// fleetRig is Konsole processes behind one bridge, sessions on each, and
// one WebSocket client of the bridge.
type fleetRig struct {
	ks       []*konsoleProc
	br       *bridge.Bridge
	conn     *websocket.Conn
	sessions []fleetSession
	lastSeq  int64
}

type fleetSession struct {
	k  int // index into ks
	id string
}

func konsoleID(i int) string { return fmt.Sprintf("k%d", i) }

// startFleetRig starts n Konsoles (each its own process), a bridge that
// follows them all, and perKonsole sessions on each.
func startFleetRig(tb testing.TB, n, perKonsole int) *fleetRig {
	tb.Helper()
	r := &fleetRig{}
	var specs []bridge.KonsoleSpec
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		k := newKonsoleProc(tb, i)
		r.ks = append(r.ks, k)
		specs = append(specs, bridge.KonsoleSpec{ID: konsoleID(i), Name: konsoleID(i), URL: k.url(), Token: k.token})
		go func() { errs <- k.start() }()
	}
	for range n {
		if err := <-errs; err != nil {
			tb.Fatal(err)
		}
	}
	br, err := bridge.New(bridge.Config{Konsoles: specs, Token: "bench-token", Logger: quiet(),
		Backoff: bridge.Backoff{Min: 100 * time.Millisecond, Max: time.Second, Jitter: 0.1}})
	if err != nil {
		tb.Fatal(err)
	}
	br.Start()
	srv := httptest.NewServer(br.Handler())
	tb.Cleanup(func() { br.Close(); srv.Close() })
	r.br = br
	for deadline := time.Now().Add(60 * time.Second); !r.allConnected(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("the bridge did not connect to every Konsole: %+v", br.Konsoles())
		}
	}
	for i, k := range r.ks {
		for range perKonsole {
			st, s, err := k.do("POST", "/v1/sessions", map[string]any{"cwd": k.work})
			if err != nil || st != http.StatusCreated {
				tb.Fatalf("create a session on %s: %d %v %v", konsoleID(i), st, s, err)
			}
			r.sessions = append(r.sessions, fleetSession{k: i, id: s["id"].(string)})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/console/ws?token=bench-token&clientId=fleet", nil)
	if err != nil {
		tb.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	tb.Cleanup(func() { conn.CloseNow() })
	_, hello, err := conn.Read(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var h struct{ Seq int64 }
	if err := json.Unmarshal(hello, &h); err != nil {
		tb.Fatal(err)
	}
	r.conn, r.lastSeq = conn, h.Seq
	return r
}

func (r *fleetRig) allConnected() bool {
	for _, k := range r.br.Konsoles() {
		if k.State != bridge.StateConnected {
			return false
		}
	}
	return true
}

// fleetRun is one measured run over a rig.
type fleetRun struct {
	Lat map[string]dist // delta latency by Konsole id
	// Sent are the deltas the agents of completed turns reported writing,
	// Received the deltas read, each by Konsole id.
	Sent, Received map[string]int
	// OutOfOrder counts deltas whose number did not follow the previous
	// one of their session; SeqGaps frames whose seq did not follow.
	OutOfOrder       map[string]int
	SeqGaps, Resyncs int
	// Bridge is the bridge's own share of each delta's latency, by
	// Konsole id: from a client reading that Konsole's SSE stream directly
	// to the bridge's WebSocket client.
	Bridge map[string]dist
	// IDs are the Konsole event ids received, by Konsole id.
	IDs         map[string][]int64
	Interrupted int // turns that did not complete (a killed Konsole's)
	Err         error
}

// pool joins the latencies of every Konsole but skip.
func pool(by map[string]dist, skip string) dist {
	var d dist
	for id, l := range by {
		if id != skip {
			d = append(d, l...)
		}
	}
	return d
}

// bridge pools the bridge's share of every Konsole but skip.
func (f *fleetRun) bridge(skip string) dist { return pool(f.Bridge, skip) }

// all pools the latencies of every Konsole but skip.
func (f *fleetRun) all(skip string) dist { return pool(f.Lat, skip) }

// lost is the deltas sent by completed turns and not received, over
// every Konsole but skip.
func (f *fleetRun) lost(skip string) int {
	n := 0
	for id, sent := range f.Sent {
		if id != skip {
			n += sent - f.Received[id]
		}
	}
	return n
}

// faults counts the order faults of every Konsole but skip.
func (f *fleetRun) faults(skip string) int {
	n := 0
	for id, c := range f.OutOfOrder {
		if id != skip {
			n += c
		}
	}
	return n
}

func (f *fleetRun) sent(skip string) int {
	n := 0
	for id, s := range f.Sent {
		if id != skip {
			n += s
		}
	}
	return n
}

// measure has every session stream n deltas at rate per second at once
// and reads the bridge until every turn has ended; during, when set, runs
// beside it (the kill and restart of a Konsole).
func (r *fleetRig) measure(rate, n int, during func()) *fleetRun {
	run := &fleetRun{Lat: map[string]dist{}, IDs: map[string][]int64{}, Sent: map[string]int{}, Received: map[string]int{},
		OutOfOrder: map[string]int{}, Bridge: map[string]dist{}}
	probes := make([]*sseProbe, len(r.ks))
	for i, k := range r.ks {
		probes[i] = startSSEProbe(k)
	}
	wsAt := map[deltaKey]int64{}
	defer func() {
		for i, p := range probes {
			at := p.stop()
			id := konsoleID(i)
			for key, sse := range at {
				if ws, ok := wsAt[key]; ok {
					run.Bridge[id] = append(run.Bridge[id], time.Duration(ws-sse))
				}
			}
		}
	}()
	turns := map[string]int{} // turn id -> session index
	var mu sync.Mutex
	var wg sync.WaitGroup
	// The sessions' schedules are spread evenly over one period, as
	// sessions that did not start at the same instant are: the bridge gets
	// an even stream at the total rate, not bursts of every session at once.
	origin := time.Now().Add(500 * time.Millisecond)
	period := time.Second / time.Duration(rate)
	for i, s := range r.sessions {
		wg.Add(1)
		at := origin.Add(period * time.Duration(i) / time.Duration(len(r.sessions)))
		go func() {
			defer wg.Done()
			st, body, err := r.ks[s.k].do("POST", "/v1/sessions/"+s.id+"/prompt", map[string]any{"text": agentPromptAt(rate, n, at)})
			mu.Lock()
			defer mu.Unlock()
			if err != nil || st != http.StatusAccepted {
				run.Err = fmt.Errorf("prompt %s: %d %v %v", s.id, st, body, err)
				return
			}
			turns[body["turnId"].(string)] = i
		}()
	}
	wg.Wait()
	if run.Err != nil {
		return run
	}
	if during != nil {
		go during()
	}
	next := map[string]int{}
	open := len(turns)
	deadline := time.Now().Add(time.Duration(float64(n)/float64(rate)*float64(time.Second)) + drainLimit + 30*time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	for open > 0 {
		_, data, err := r.conn.Read(ctx)
		if err != nil {
			run.Err = fmt.Errorf("the WebSocket ended with %d turns open: %w", open, err)
			return run
		}
		recv := time.Now().UnixNano()
		var f struct {
			Type      string `json:"type"`
			Seq       int64  `json:"seq"`
			KonsoleID string `json:"konsoleId"`
			Event     struct {
				ID        int64  `json:"id"`
				Type      string `json:"type"`
				SessionID string `json:"sessionId"`
				TurnID    string `json:"turnId"`
				Data      struct {
					Text   string `json:"text"`
					Reason string `json:"reason"`
					Result string `json:"result"`
				} `json:"data"`
			} `json:"event"`
		}
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Type {
		case "resync":
			run.Resyncs++
			r.lastSeq = f.Seq
			continue
		case "event":
		default:
			continue
		}
		if f.Seq != r.lastSeq+1 {
			run.SeqGaps++
		}
		r.lastSeq = f.Seq
		run.IDs[f.KonsoleID] = append(run.IDs[f.KonsoleID], f.Event.ID)
		switch f.Event.Type {
		case "text.delta":
			var num, at int64
			if _, err := fmt.Sscanf(f.Event.Data.Text, "bench n=%d t=%d", &num, &at); err != nil {
				continue
			}
			run.Lat[f.KonsoleID] = append(run.Lat[f.KonsoleID], time.Duration(recv-at))
			wsAt[deltaKey{f.Event.SessionID, num}] = recv
			run.Received[f.KonsoleID]++
			if int(num) != next[f.Event.SessionID]+1 {
				run.OutOfOrder[f.KonsoleID]++
			}
			next[f.Event.SessionID] = int(num)
		case "turn.completed":
			if _, ok := turns[f.Event.TurnID]; !ok {
				continue
			}
			delete(turns, f.Event.TurnID)
			open--
			var res agentResult
			if f.Event.Data.Reason != "completed" || json.Unmarshal([]byte(f.Event.Data.Result), &res) != nil {
				run.Interrupted++
				continue
			}
			run.Sent[f.KonsoleID] += res.Sent
		}
	}
	return run
}

// exact compares the event ids a Konsole's log holds over the run with
// those received: lost (in the log, not received) and duplicated.
func (r *fleetRig) exact(i int, got []int64) (logged, lost, dup int, err error) {
	if len(got) == 0 {
		return 0, 0, 0, fmt.Errorf("nothing received from %s", konsoleID(i))
	}
	ids, err := r.ks[i].logIDs(got[0]-1, got[len(got)-1])
	if err != nil {
		return 0, 0, 0, err
	}
	seen := map[int64]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range ids {
		if seen[id] == 0 {
			lost++
		}
	}
	for _, c := range seen {
		dup += c - 1
	}
	return len(ids), lost, dup, nil
}

// BenchmarkBridgeFleet streams KONUI_BENCH_FLEET_RATE (1,000) events/s in
// total from KONUI_BENCH_FLEET_KONSOLES (10) Konsole processes with
// KONUI_BENCH_FLEET_SESSIONS (5) sessions each through one bridge, beside
// the same total rate from one Konsole with as many sessions as one of
// the fleet's through a bridge of its own, in alternating rounds
// (KONUI_BENCH_FLEET_ROUNDS, 3, of KONUI_BENCH_FLEET_SECONDS, 10, each);
// then once more with one Konsole killed (SIGKILL) and restarted during
// the run. The agent is the test binary (benchAgent), which stamps each
// delta with the time it is written; the Konsoles are the test binary too
// (benchKonsole), one process each.
func BenchmarkBridgeFleet(b *testing.B) {
	started("bridge-fleet")
	total := envInt("KONUI_BENCH_FLEET_RATE", 1000)
	nk := envInt("KONUI_BENCH_FLEET_KONSOLES", 10)
	per := envInt("KONUI_BENCH_FLEET_SESSIONS", 5)
	secs := envInt("KONUI_BENCH_FLEET_SECONDS", 10)
	rounds := envInt("KONUI_BENCH_FLEET_ROUNDS", 5)
	killSecs := envInt("KONUI_BENCH_FLEET_KILL_SECONDS", 20)
	one := startFleetRig(b, 1, per)
	fleet := startFleetRig(b, nk, per)
	oneRate, fleetRate := total/per, total/(nk*per)
	// A warm-up of both (3 s), not counted.
	one.measure(oneRate, 3*oneRate, nil)
	fleet.measure(fleetRate, 3*fleetRate, nil)

	var single, many, bSingle, bMany dist
	var roundOne, roundMany, roundBOne, roundBMany []time.Duration
	var roundAdded, roundBAdded dist
	lostOne, lostMany, gaps, sentOne, sentMany := 0, 0, 0, 0, 0
	var errs []string
	for i := 0; i < rounds; i++ {
		r1 := one.measure(oneRate, oneRate*secs, nil)
		rn := fleet.measure(fleetRate, fleetRate*secs, nil)
		for _, r := range []*fleetRun{r1, rn} {
			if r.Err != nil {
				errs = append(errs, r.Err.Error())
			}
			gaps += r.SeqGaps + r.Resyncs + r.faults("")
		}
		d1, dn := r1.all(""), rn.all("")
		single, many = append(single, d1...), append(many, dn...)
		bSingle, bMany = append(bSingle, r1.bridge("")...), append(bMany, rn.bridge("")...)
		roundOne, roundMany = append(roundOne, d1.pct(99)), append(roundMany, dn.pct(99))
		roundBOne, roundBMany = append(roundBOne, r1.bridge("").pct(99)), append(roundBMany, rn.bridge("").pct(99))
		roundAdded = append(roundAdded, dn.pct(99)-d1.pct(99))
		roundBAdded = append(roundBAdded, rn.bridge("").pct(99)-r1.bridge("").pct(99))
		lostOne, lostMany = lostOne+r1.lost(""), lostMany+rn.lost("")
		sentOne, sentMany = sentOne+r1.sent(""), sentMany+rn.sent("")
	}
	// Ruled on the median of the rounds, as the bridge latency benchmark
	// is: one round lifted by the shared machine does not decide it.
	added, bAdded := roundAdded.median(), roundBAdded.median()
	pooled, bPooled := many.pct(99)-single.pct(99), bMany.pct(99)-bSingle.pct(99)

	// One Konsole killed at 30% of the run and started again at 50%.
	victim := nk / 2
	vid := konsoleID(victim)
	var killedAt, restartedAt time.Duration
	var restartErr error
	began := time.Now()
	rk := fleet.measure(fleetRate, fleetRate*killSecs, func() {
		time.Sleep(time.Duration(float64(killSecs) * 0.3 * float64(time.Second)))
		fleet.ks[victim].kill9()
		killedAt = time.Since(began)
		time.Sleep(time.Duration(float64(killSecs) * 0.2 * float64(time.Second)))
		restartErr = fleet.ks[victim].start()
		restartedAt = time.Since(began)
	})
	if rk.Err != nil {
		errs = append(errs, rk.Err.Error())
	}
	if restartErr != nil {
		errs = append(errs, restartErr.Error())
	}
	others, bOthers := rk.all(vid), rk.bridge(vid)
	logged, vLost, vDup, exactErr := fleet.exact(victim, rk.IDs[vid])
	if exactErr != nil {
		errs = append(errs, exactErr.Error())
	}
	othersLost := rk.lost(vid)
	// The killed Konsole's cut turns end its sessions' numbering early,
	// which is no order fault: only the others' count.
	killGaps := rk.SeqGaps + rk.Resyncs + rk.faults(vid)
	killDelta, bKillDelta := others.pct(99)-many.pct(99), bOthers.pct(99)-bMany.pct(99)
	// Noise: the spread of the fleet's round p99s of the bridge's share,
	// and at least 1 ms.
	noise := time.Millisecond
	for _, d := range roundBMany {
		noise = max(noise, d-minDur(roundBMany))
	}
	lost := lostOne + lostMany
	e2eOK := added < time.Millisecond && lost == 0 && gaps == 0 && len(errs) == 0
	bridgeOK := bAdded < time.Millisecond && lost == 0 && gaps == 0 && len(errs) == 0
	killOK := bKillDelta < noise && othersLost == 0 && vLost == 0 && vDup == 0 && killGaps == 0 && len(errs) == 0

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(single.pct(99)), "one-konsole-p99-ms")
	b.ReportMetric(msf(many.pct(99)), "fleet-p99-ms")
	b.ReportMetric(msf(added), "added-p99-round-median-ms")
	b.ReportMetric(msf(bAdded), "bridge-added-p99-round-median-ms")
	b.ReportMetric(msf(bOthers.pct(99)), "kill-others-bridge-p99-ms")
	b.ReportMetric(float64(lost+othersLost+vLost), "lost")

	var body strings.Builder
	fmt.Fprintf(&body, "%d Konsoles, each its own process (the test binary as a Konsole), with %d sessions each, stream %d events/s in total (%d/s per session) through one bridge to one WebSocket client; beside them, one Konsole with %d sessions streams the same total (%d/s per session) through a bridge of its own. The agent is the test binary's bench agent (the one of the event-rate benchmarks above; the real CLI on the fake API cannot be paced to 1,000 stamped events/s), which stamps each text delta with the time it writes the line. %d rounds of %d s alternate one Konsole and the fleet, after a warm-up of 3 s each; in each run the sessions' schedules are spread evenly over one period (as sessions that did not start at the same instant are), so that the bridge gets an even stream rather than every session's delta at once. Percentiles are nearest-rank.\n\n",
		nk, per, total, fleetRate, per, oneRate, rounds, secs)
	body.WriteString("Two latencies per delta: **end to end**, from the agent writing the line to the WebSocket client reading the frame; and **the bridge's share**, from a second client reading that Konsole's `GET /v1/events` directly (one per Konsole, beside the bridge) to the WebSocket client, matched delta by delta. On this machine all eleven Konsoles and their 55 agents share two cores, so the end-to-end figure of the fleet carries the scheduling of ten times as many processes; the bridge's share is what following ten Konsoles costs the bridge.\n\n")
	body.WriteString("| path | samples | lost | p50 | p90 | p99 | p99.9 | max | bridge's share p50 | p99 | max |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range []struct {
		name  string
		d, br dist
		lost  int
	}{{"one Konsole, one bridge", single, bSingle, lostOne}, {fmt.Sprintf("%d Konsoles, one bridge", nk), many, bMany, lostMany}} {
		fmt.Fprintf(&body, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.name, len(row.d), row.lost, ms(row.d.pct(50)), ms(row.d.pct(90)),
			ms(row.d.pct(99)), ms(row.d.pct(99.9)), ms(row.d.max()), ms(row.br.pct(50)), ms(row.br.pct(99)), ms(row.br.max()))
	}
	body.WriteString("\n| round | one Konsole p99 | fleet p99 | added | one Konsole, bridge's share p99 | fleet, bridge's share p99 | added |\n|---|---|---|---|---|---|---|\n")
	for i := range roundOne {
		fmt.Fprintf(&body, "| %d | %s | %s | %s | %s | %s | %s |\n", i+1, ms(roundOne[i]), ms(roundMany[i]), signed(roundAdded[i]), ms(roundBOne[i]), ms(roundBMany[i]), signed(roundBAdded[i]))
	}
	fmt.Fprintf(&body, "\nMedian over the rounds, the fleet adds **%s at p99** end to end over one Konsole, and **%s at p99** in the bridge's share (pooled over every round: %s and %s; %d deltas sent by the fleet, %d by the one Konsole; %d lost; %d seq gaps, order faults or resyncs). Target, within 1 ms: end to end **%s**, the bridge's share **%s** (ruled on the median of the rounds, as the bridge latency above).\n",
		signed(added), signed(bAdded), signed(pooled), signed(bPooled), sentMany, sentOne, lost, gaps, verdict(e2eOK), verdict(bridgeOK))
	fmt.Fprintf(&body, "\nWith %s killed (SIGKILL) at %.1f s of a %d s run and started again on the same address and data folder at %.1f s, the other %d Konsoles: end to end p99 **%s** (%s against the fleet's rounds above; p50 %s, max %s, %d samples), the bridge's share p99 **%s** (%s; noise taken as the larger of 1 ms and the spread of the fleet's round p99s of the bridge's share, %s); %d of their %d deltas lost; %d seq gaps, resyncs or order faults of theirs. The killed Konsole's events over the run: %d in its log, %d received, %d lost, %d duplicated (its turns cut by the kill: %d).\n",
		vid, killedAt.Seconds(), killSecs, restartedAt.Seconds(), nk-1, ms(others.pct(99)), signed(killDelta), ms(others.pct(50)), ms(others.max()), len(others),
		ms(bOthers.pct(99)), signed(bKillDelta), ms(noise), othersLost, rk.sent(vid), killGaps, logged, len(rk.IDs[vid]), vLost, vDup, rk.Interrupted)
	fmt.Fprintf(&body, "Target: the others' p99 (the bridge's share) unchanged beyond noise and nothing lost: **%s**.\n", verdict(killOK))
	if len(errs) > 0 {
		fmt.Fprintf(&body, "\nErrors: %s.\n", strings.Join(errs, "; "))
	}
	addSection("bridge-fleet", section{
		Title: fmt.Sprintf("Bridge: %d Konsoles at %d events/s in total", nk, total),
		Body:  body.String(),
		Targets: []target{{
			Figure:   fmt.Sprintf("fleet latency added at p99, end to end (%d Konsoles x %d sessions, %d events/s)", nk, per, total),
			Target:   "within 1 ms of one Konsole",
			Measured: fmt.Sprintf("%s, median of %d rounds (pooled %s: fleet p99 %s, one Konsole p99 %s; %d lost)", signed(added), rounds, signed(pooled), ms(many.pct(99)), ms(single.pct(99)), lost),
			Result:   verdict(e2eOK),
		}, {
			Figure:   "fleet latency added at p99, the bridge's share (Konsole SSE to WebSocket)",
			Target:   "within 1 ms of one Konsole",
			Measured: fmt.Sprintf("%s, median of %d rounds (pooled %s: fleet %s, one Konsole %s)", signed(bAdded), rounds, signed(bPooled), ms(bMany.pct(99)), ms(bSingle.pct(99))),
			Result:   verdict(bridgeOK),
		}, {
			Figure:   "fleet p99 with one Konsole killed and restarted",
			Target:   "others unchanged beyond noise, nothing lost",
			Measured: fmt.Sprintf("others' bridge share p99 %s (%s; noise %s), end to end %s (%s); lost %d; killed one: %d lost, %d duplicated", ms(bOthers.pct(99)), signed(bKillDelta), ms(noise), ms(others.pct(99)), signed(killDelta), othersLost, vLost, vDup),
			Result:   verdict(killOK),
		}},
	})
}

func minDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

// signed formats a difference with its sign.
func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + ms(d)
	}
	return "-" + ms(-d)
}
