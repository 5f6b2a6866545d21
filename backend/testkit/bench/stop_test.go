package bench

import (
	"fmt"
	"github.com/konui/konui/backend/contract"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkStopLatency measures how long Stop takes with the real Claude
// Code CLI: one session, KONUI_BENCH_STOPS (30) times over: prompt a long
// answer ("[[long 2000]]": 2,000 words 20 ms apart from the fake Messages
// API), wait for a few text.delta, POST /v1/sessions/{id}/stop, and time
// until turn.completed arrives on the SSE stream. The baseline, measured
// between the stops on the same session and stream, is the same HTTP ->
// Konsole -> SSE path without the agent: PATCH /v1/sessions/{id} (a
// rename) until its session.updated arrives.
func BenchmarkStopLatency(b *testing.B) {
	started("stop")
	if claudePath() == "" {
		addSection("stop", section{Title: "Konsole: stop latency with the real Claude Code CLI",
			Body:    "Not measured: the Claude Code CLI is not installed (run `make setup`).",
			Targets: []target{{"stop latency p50 / p99", "< 100 ms / < 300 ms", "not measured (no CLI)", "MISS"}}})
		b.Skip("the Claude Code CLI is not installed: run make setup")
	}
	stops := envInt("KONUI_BENCH_STOPS", 30)
	const warmup = 1
	h := kt.Start(b, kt.Options{})
	sid := h.CreateSession()
	st := h.Events(-1)

	var stopLat, httpLat, konsoleLat, baseLat dist
	reasons := map[string]int{}
	for i := 0; i < warmup+stops; i++ {
		turn := h.Prompt(sid, "[[long 2000]]")
		seen := 0
		st.Until(b, 120*time.Second, func(e kt.Event) bool {
			if e.Type == contract.EvTextDelta && e.TurnID == turn {
				seen++
			}
			return seen >= 3
		})
		t0 := time.Now()
		status, r := h.Do("POST", "/v1/sessions/"+sid+"/stop", nil)
		tHTTP := time.Since(t0)
		if status != http.StatusOK {
			b.Fatalf("stop: HTTP %d %v", status, r)
		}
		evs := st.Until(b, 60*time.Second, kt.TurnCompleted(turn))
		took := time.Since(t0)
		data := evs[len(evs)-1].DataMap()
		if i < warmup {
			continue
		}
		reason, _ := data["reason"].(string)
		reasons[reason]++
		stopLat = append(stopLat, took)
		httpLat = append(httpLat, tHTTP)
		if v, ok := data["stopLatencyMs"].(float64); ok {
			konsoleLat = append(konsoleLat, time.Duration(v*float64(time.Millisecond)))
		}

		// The baseline: a request whose event needs no agent.
		title := fmt.Sprintf("bench %d", i)
		t0 = time.Now()
		if status, r := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": title}); status != http.StatusOK {
			b.Fatalf("rename: HTTP %d %v", status, r)
		}
		st.Until(b, 60*time.Second, func(e kt.Event) bool {
			if e.Type != contract.EvSessionUpdated {
				return false
			}
			s, _ := e.DataMap()["session"].(map[string]any)
			return s["title"] == title
		})
		baseLat = append(baseLat, time.Since(t0))
	}

	p50, p99 := stopLat.pct(50), stopLat.pct(99)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(p50), "stop-p50-ms")
	b.ReportMetric(msf(p99), "stop-p99-ms")
	b.ReportMetric(msf(baseLat.pct(50)), "baseline-p50-ms")

	var body strings.Builder
	fmt.Fprintf(&body, "One session of the real CLI on the fake Messages API; %d stops (after %d warm-up stop not counted). Each: prompt `[[long 2000]]`, wait for 3 `text.delta`, `POST /v1/sessions/{id}/stop`, time until `turn.completed` is read from `GET /v1/events`. Percentiles are nearest-rank: with fewer than 100 samples p99 is the slowest stop.\n\n", stops, warmup)
	body.WriteString("| measured | samples | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		d    dist
	}{
		{"**stop request -> `turn.completed` on the SSE stream**", stopLat},
		{"stop request -> its HTTP answer", httpLat},
		{"Konsole's own `stopLatencyMs` (stop handled -> CLI's `result`, whole ms)", konsoleLat},
		{"baseline: rename request -> its `session.updated` on the SSE stream (no agent)", baseLat},
	} {
		fmt.Fprintf(&body, "| %s | %d | %s | %s | %s | %s |\n", row.name, len(row.d), ms(row.d.pct(50)), ms(row.d.pct(90)), ms(row.d.pct(99)), ms(row.d.max()))
	}
	var rs []string
	for k, v := range reasons {
		rs = append(rs, fmt.Sprintf("%s: %d", k, v))
	}
	fmt.Fprintf(&body, "\nStop latency over the baseline: %s at p50, %s at p99; the rest is the CLI noticing the interrupt and ending its turn. Turn endings: %s. Targets: p50 under 100 ms: **%s**; p99 under 300 ms: **%s**.\n",
		ratio(msf(p50), msf(baseLat.pct(50))), ratio(msf(p99), msf(baseLat.pct(99))), strings.Join(rs, ", "),
		verdict(p50 < 100*time.Millisecond), verdict(p99 < 300*time.Millisecond))
	addSection("stop", section{
		Title: "Konsole: stop latency with the real Claude Code CLI",
		Body:  body.String(),
		Targets: []target{
			{"stop latency p50 (stop request -> turn.completed)", "< 100 ms", fmt.Sprintf("%s (%d stops; baseline p50 %s)", ms(p50), len(stopLat), ms(baseLat.pct(50))), verdict(p50 < 100*time.Millisecond)},
			{"stop latency p99", "< 300 ms", fmt.Sprintf("%s (%d stops%s)", ms(p99), len(stopLat), map[bool]string{true: ": the slowest", false: ""}[len(stopLat) < 100]), verdict(p99 < 300*time.Millisecond)},
		},
	})
}
