package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkBridgeLatency measures the latency from the agent's stdout line
// to the dashboard's WebSocket client at a steady 1,000 events/s, through
// the real chain (the test binary plays the agent; Konsole parses its
// stdout, logs each text.delta in SQLite and streams it over SSE; the
// bridge follows with its r3labs client and sends it to one WebSocket
// client), beside the same frames written straight to a loopback
// WebSocket. Rounds of the two alternate so that the machine's noise falls
// on both. Knobs: KONUI_BENCH_LATENCY_RATE (1000),
// KONUI_BENCH_LATENCY_SECONDS (10, split over KONUI_BENCH_LATENCY_ROUNDS, 10).
func BenchmarkBridgeLatency(b *testing.B) {
	started("bridge-latency")
	rt := envInt("KONUI_BENCH_LATENCY_RATE", 1000)
	secs := envInt("KONUI_BENCH_LATENCY_SECONDS", 10)
	rounds := envInt("KONUI_BENCH_LATENCY_ROUNDS", 10)
	perRound := rt * secs / rounds
	bl := startBaseline(b)
	ch := startChain(b)
	// A short warm-up of both paths, not counted.
	bl.measure(rt, rt/10)
	ch.measure(rt, rt/10)

	var base, full run
	base.Rate, full.Rate = rt, rt
	// Each round's own p99 on both paths: a round that the machine
	// stalls (this is a shared VM) spoils the pooled p99, not the median
	// of the rounds.
	var roundBase, roundFull, roundAdded dist
	var roundSteal []float64
	total0, steal0 := cpuTicks()
	for i := 0; i < rounds; i++ {
		for _, p := range []struct {
			into    *run
			measure func(int, int) *run
		}{{&base, bl.measure}, {&full, ch.measure}} {
			t0, s0 := cpuTicks()
			r := p.measure(rt, perRound)
			t1, s1 := cpuTicks()
			if p.into == &base {
				roundBase = append(roundBase, r.Lat.pct(99))
			} else {
				roundFull = append(roundFull, r.Lat.pct(99))
				roundAdded = append(roundAdded, r.Lat.pct(99)-roundBase[len(roundBase)-1])
				roundSteal = append(roundSteal, stealShare(t0, s0, t1, s1))
			}
			p.into.N += r.N
			p.into.Sent += r.Sent
			p.into.SendElapsed += r.SendElapsed
			p.into.SendMaxLag = max(p.into.SendMaxLag, r.SendMaxLag)
			p.into.Lat = append(p.into.Lat, r.Lat...)
			p.into.Received += r.Received
			p.into.Correct += r.Correct
			p.into.SeqGaps += r.SeqGaps
			p.into.Resyncs += r.Resyncs
			p.into.Upstream += r.Upstream
			p.into.CPUSelf += r.CPUSelf
			p.into.CPUAgent += r.CPUAgent
			p.into.Done = r.Done
			if r.Err != nil && p.into.Err == nil {
				p.into.Err = r.Err
			}
		}
	}
	total1, steal1 := cpuTicks()
	stealPct := stealShare(total0, steal0, total1, steal1)
	// A separate round with a second SSE client reading Konsole directly
	// splits the chain in two: agent -> Konsole's SSE, and the bridge.
	stopProbe := ch.probe()
	split := ch.measure(rt, 3*rt)
	direct := stopProbe()

	added99 := full.Lat.pct(99) - base.Lat.pct(99)
	added50 := full.Lat.pct(50) - base.Lat.pct(50)
	addedRound := roundAdded.median()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(base.Lat.pct(50)), "baseline-p50-ms")
	b.ReportMetric(msf(base.Lat.pct(99)), "baseline-p99-ms")
	b.ReportMetric(msf(full.Lat.pct(50)), "chain-p50-ms")
	b.ReportMetric(msf(full.Lat.pct(99)), "chain-p99-ms")
	b.ReportMetric(msf(added99), "added-p99-ms")
	b.ReportMetric(msf(addedRound), "added-p99-round-median-ms")
	b.ReportMetric(stealPct, "cpu-steal-%")
	b.ReportMetric(float64(full.Lost()), "chain-lost")

	var body strings.Builder
	fmt.Fprintf(&body, "Each path streamed %d text deltas at %d/s (%d rounds of %d, alternating baseline and chain, after a warm-up of %d each). Latency is the time from the line being written (the agent's clock, stamped into the text) to the WebSocket client reading the frame. Percentiles are nearest-rank.\n\n",
		rt*secs, rt, rounds, perRound, rt/10)
	body.WriteString("| path | samples | lost | p50 | p90 | p99 | p99.9 | max | producer rate | CPU per event |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		r    *run
	}{{"baseline: frames written to a direct loopback WebSocket", &base}, {"chain: agent stdout -> Konsole (SQLite log, SSE) -> bridge -> WebSocket", &full}} {
		r := row.r
		fmt.Fprintf(&body, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", row.name, len(r.Lat), r.Lost(),
			ms(r.Lat.pct(50)), ms(r.Lat.pct(90)), ms(r.Lat.pct(99)), ms(r.Lat.pct(99.9)), ms(r.Lat.max()), rate(r.SendRate()), cpuCell(r))
	}
	fmt.Fprintf(&body, "\nPooled over every round, the chain adds **%s at p50** and **%s at p99** over the baseline (ratio chain/baseline: %s at p50, %s at p99).\n",
		ms(added50), ms(added99), ratio(msf(full.Lat.pct(50)), msf(base.Lat.pct(50))), ratio(msf(full.Lat.pct(99)), msf(base.Lat.pct(99))))
	fmt.Fprintf(&body, "\nRound by round (%d events each, the baseline's round just before the chain's), the p99 added by the chain, with the share of the machine's CPU time the hypervisor stole during the chain's round:\n\n| round | baseline p99 | chain p99 | added | CPU steal |\n|---|---|---|---|---|\n", perRound)
	for i := range roundAdded {
		fmt.Fprintf(&body, "| %d | %s | %s | %s | %.1f%% |\n", i+1, ms(roundBase[i]), ms(roundFull[i]), ms(roundAdded[i]), roundSteal[i])
	}
	fmt.Fprintf(&body, "\nMedian over the rounds: **%s added at p99**. Target: under 1 ms added at p99: **%s** (ruled on the median of the rounds, so that one round lifted by something outside the chain, such as a burst of CPU steal on this shared machine (%.1f%% of its CPU time over these rounds) or another process, does not decide the figure; the pooled p99 would be **%s**).\n",
		ms(addedRound), verdict(addedRound < time.Millisecond), stealPct, verdict(added99 < time.Millisecond))
	fmt.Fprintf(&body, "\nWhere the chain's time goes (one more round of %d at %d/s, with a second SSE client reading Konsole's `GET /v1/events` directly beside the bridge; that client adds a little load of its own):\n\n", 3*rt, rt)
	body.WriteString("| segment | samples | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|\n")
	fmt.Fprintf(&body, "| agent stdout -> Konsole's SSE stream, read directly | %d | %s | %s | %s | %s |\n", len(direct), ms(direct.pct(50)), ms(direct.pct(90)), ms(direct.pct(99)), ms(direct.max()))
	fmt.Fprintf(&body, "| agent stdout -> WebSocket client through the bridge (same round) | %d | %s | %s | %s | %s |\n", len(split.Lat), ms(split.Lat.pct(50)), ms(split.Lat.pct(90)), ms(split.Lat.pct(99)), ms(split.Lat.max()))
	fmt.Fprintf(&body, "\nIn that round the chain's p99 was %s: %s of it was already there on Konsole's own SSE stream and %s came after it, in the bridge and its WebSocket (the p50s: %s and %s). A tail that shows on the direct SSE client is Konsole's (parsing, the SQLite commit, the SSE write) or the machine's.\n",
		ms(split.Lat.pct(99)), ms(direct.pct(99)), ms(split.Lat.pct(99)-direct.pct(99)), ms(direct.pct(50)), ms(split.Lat.pct(50)-direct.pct(50)))
	body.WriteString("\nCPU per event is the CPU time of every process of the path divided by the events sent: for the baseline this process (producer and reader); for the chain this process (Konsole, the bridge and the reader) plus the agent process, whose share is given in brackets. The reader and the pacing cost the same on both paths.\n")
	for _, row := range []struct {
		name string
		r    *run
	}{{"baseline", &base}, {"chain", &full}} {
		if row.r.Err != nil || row.r.SeqGaps+row.r.Resyncs+row.r.Upstream > 0 {
			fmt.Fprintf(&body, "\n%s: error %v; %d seq gaps, %d resyncs, %d upstream reconnects.\n", row.name, row.r.Err, row.r.SeqGaps, row.r.Resyncs, row.r.Upstream)
		}
	}
	addSection("bridge-latency", section{
		Title: fmt.Sprintf("Bridge: agent stdout to WebSocket latency at %d events/s", rt),
		Body:  body.String(),
		Targets: []target{{
			Figure:   fmt.Sprintf("bridge latency added at p99 (%d events/s)", rt),
			Target:   "< 1 ms over the baseline",
			Measured: fmt.Sprintf("%s, median of %d rounds (pooled: %s; chain p99 %s, baseline p99 %s; %d samples each; %d lost; CPU steal %.1f%%)", ms(addedRound), len(roundAdded), ms(added99), ms(full.Lat.pct(99)), ms(base.Lat.pct(99)), len(full.Lat), full.Lost(), stealPct),
			Result:   verdict(addedRound < time.Millisecond && full.Lost() == 0),
		}},
	})
}

// BenchmarkBridgeSustained finds the highest rate the chain holds for a
// step of KONUI_BENCH_STEP_SECONDS (10) with nothing lost, stepping through
// KONUI_BENCH_RATES (5000,10000,20000,30000,40000,60000) and stopping at the first
// rate it misses; the baseline climbs the same steps in the same run.
func BenchmarkBridgeSustained(b *testing.B) {
	started("bridge-sustained")
	rates := envInts("KONUI_BENCH_RATES", []int{5000, 10000, 20000, 30000, 40000, 60000})
	secs := envInt("KONUI_BENCH_STEP_SECONDS", 10)
	bl := startBaseline(b)
	ch := startChain(b)
	bl.measure(rates[0], rates[0]/10)
	ch.measure(rates[0], rates[0]/10)

	// A step that misses is tried once more, so that one blip of a shared
	// machine is told apart from a rate the path cannot hold; both
	// attempts are reported.
	type attempt struct {
		rate, try int
		path      string
		r         *run
	}
	var attempts []attempt
	climb := func(path string, measure func(int, int) *run, rt int) bool {
		for try := 1; try <= 2; try++ {
			r := measure(rt, rt*secs)
			attempts = append(attempts, attempt{rt, try, path, r})
			if ok, _ := r.Sustained(); ok {
				return true
			}
		}
		return false
	}
	bestBase, bestFull := 0, 0
	baseOn, fullOn := true, true
	for _, rt := range rates {
		if baseOn {
			if baseOn = climb("baseline", bl.measure, rt); baseOn {
				bestBase = rt
			}
		}
		if fullOn {
			if fullOn = climb("chain", ch.measure, rt); fullOn {
				bestFull = rt
			}
		}
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(bestBase), "baseline-events/s")
	b.ReportMetric(float64(bestFull), "chain-events/s")

	var body strings.Builder
	fmt.Fprintf(&body, "Each step streams its rate for %d s. A rate is **held** when every event arrived in order with contiguous `seq` (lost = sent - received correctly), with no resync, no WebSocket close and no bridge reconnect to Konsole, the producer kept to at least 95%% of the rate (a pipe or socket that pushes back slows it), and no event was more than %s late (beyond that the reader is falling behind). A step that misses is tried once more (a shared machine has blips); a path stops climbing at the first step it misses twice. CPU per event: the CPU time of every process of the path divided by the events sent.\n\n", secs, ms(maxBacklog))
	body.WriteString("| rate | path | attempt | sent | lost | producer rate | p50 | p99 | max | CPU per event | held |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, a := range attempts {
		ok, why := a.r.Sustained()
		v := "yes"
		if !ok {
			v = "**no**: " + why
		}
		fmt.Fprintf(&body, "| %s | %s | %d | %d | %d | %s | %s | %s | %s | %s | %s |\n", rate(float64(a.rate)), a.path, a.try, a.r.Sent, a.r.Lost(),
			rate(a.r.SendRate()), ms(a.r.Lat.pct(50)), ms(a.r.Lat.pct(99)), ms(a.r.Lat.max()), us(a.r.CPUPerEvent()), v)
	}
	top := rates[len(rates)-1]
	describe := func(best int) string {
		switch {
		case best == 0:
			return fmt.Sprintf("below %s (the lowest step)", rate(float64(rates[0])))
		case best == top:
			return fmt.Sprintf("%s (the highest step tried)", rate(float64(best)))
		}
		return rate(float64(best))
	}
	fmt.Fprintf(&body, "\nHighest rate held: chain **%s**, baseline **%s** (ratio chain/baseline %s; with the steps tried, a ratio of 1 means the chain kept up with every step the baseline did). Target: at least 20,000 events/s with nothing lost: **%s**.\n",
		describe(bestFull), describe(bestBase), ratio(float64(bestFull), float64(bestBase)), verdict(bestFull >= 20000))
	addSection("bridge-sustained", section{
		Title: "Bridge: highest rate sustained with nothing lost",
		Body:  body.String(),
		Targets: []target{{
			Figure:   fmt.Sprintf("bridge sustained rate, zero loss, %d s per step", secs),
			Target:   ">= 20,000 events/s",
			Measured: fmt.Sprintf("chain %s, baseline %s", describe(bestFull), describe(bestBase)),
			Result:   verdict(bestFull >= 20000),
		}},
	})
}

// cpuCell formats CPU per event, with the agent's share when there is one.
func cpuCell(r *run) string {
	if r.CPUAgent == 0 || r.Sent == 0 {
		return us(r.CPUPerEvent())
	}
	return fmt.Sprintf("%s (agent %s)", us(r.CPUPerEvent()), us(r.CPUAgent/time.Duration(r.Sent)))
}
