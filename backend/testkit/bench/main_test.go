package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the agent of the bridge benchmarks
// (Konsole runs it with KONUI_BENCH_AGENT=1) and a Konsole of the fleet
// benchmark (with KONUI_BENCH_KONSOLE=1), and writes the Markdown
// report to $KONUI_BENCH_REPORT after the benchmarks ran.
func TestMain(m *testing.M) {
	if os.Getenv("KONUI_BENCH_AGENT") != "" {
		os.Exit(benchAgent())
	}
	if os.Getenv(benchKonsoleEnv) != "" {
		os.Exit(benchKonsole())
	}
	report.started, report.loadAt = time.Now(), loadavg()
	code := m.Run()
	if path := os.Getenv("KONUI_BENCH_REPORT"); path != "" {
		if err := writeReport(path); err != nil {
			fmt.Fprintln(os.Stderr, "bench: failed to write the report:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// pace calls emit(i) for i = 1..n at rate events per second, on a fixed
// schedule from the first call: each wake-up emits every event that is due,
// so a late wake-up is caught up in a burst rather than lowering the rate.
// It returns the time taken and the largest delay of an event behind its
// schedule. emit takes its own timestamp just before it writes.
func pace(rate, n int, emit func(i int) error) (time.Duration, time.Duration, error) {
	interval := float64(time.Second) / float64(rate)
	start := time.Now()
	var maxLag time.Duration
	for i := 1; i <= n; {
		now := time.Now()
		due := start.Add(time.Duration(float64(i-1) * interval))
		if now.Before(due) {
			time.Sleep(due.Sub(now))
			continue
		}
		for i <= n {
			due = start.Add(time.Duration(float64(i-1) * interval))
			if due.After(now) {
				break
			}
			if lag := now.Sub(due); lag > maxLag {
				maxLag = lag
			}
			if err := emit(i); err != nil {
				return time.Since(start), maxLag, err
			}
			i++
		}
	}
	return time.Since(start), maxLag, nil
}

// deltaText is the text of event n, written at t (Unix nanoseconds). The
// receiver finds both numbers in the frame without decoding it.
func appendDeltaText(b []byte, n int, t int64) []byte {
	b = append(b, "bench n="...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, " t="...)
	b = strconv.AppendInt(b, t, 10)
	return append(b, ' ')
}

// agentPrompt asks the bench agent for n text deltas at rate per second.
func agentPrompt(rate, n int) string { return fmt.Sprintf("bench rate=%d n=%d", rate, n) }

// agentPromptAt is agentPrompt with the schedule starting at at (the
// fleet benchmark spreads its sessions' schedules evenly over a period).
func agentPromptAt(rate, n int, at time.Time) string {
	return fmt.Sprintf("bench rate=%d n=%d at=%d", rate, n, at.UnixNano())
}

// agentResult is what the bench agent reports in its result line (and so
// in turn.completed's "result").
type agentResult struct {
	Sent      int   `json:"sent"`
	ElapsedNs int64 `json:"elapsedNs"`
	MaxLagNs  int64 `json:"maxLagNs"`
}

// benchAgent speaks enough stream-json to stream paced text deltas: for a
// prompt "bench rate=R n=N" it writes N content_block_delta lines, R per
// second, each stamped with the time it is written, then a result line. It
// answers interrupts so that a stop would work too.
func benchAgent() int {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := os.Stdout
	emit := func(v any) {
		b, _ := json.Marshal(v)
		out.Write(append(b, '\n'))
	}
	const sid = "bench-agent-session"
	for in.Scan() {
		var msg struct {
			Type      string `json:"type"`
			RequestID string `json:"request_id"`
			Message   struct {
				Content json.RawMessage `json:"content"`
			} `json:"message"`
		}
		if json.Unmarshal(in.Bytes(), &msg) != nil {
			continue
		}
		switch msg.Type {
		case "control_request":
			emit(map[string]any{"type": "control_response", "response": map[string]any{"subtype": "success", "request_id": msg.RequestID}})
			continue
		case "user":
		default:
			continue
		}
		var text string
		if json.Unmarshal(msg.Message.Content, &text) != nil {
			var blocks []struct {
				Text string `json:"text"`
			}
			json.Unmarshal(msg.Message.Content, &blocks)
			for _, b := range blocks {
				text += b.Text
			}
		}
		rate, n := 1000, 100
		var at int64
		for _, f := range strings.Fields(text) {
			k, v, _ := strings.Cut(f, "=")
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil || x <= 0 {
				continue
			}
			switch k {
			case "rate":
				rate = int(x)
			case "n":
				n = int(x)
			case "at":
				at = x
			}
		}
		if wait := time.Until(time.Unix(0, at)); at > 0 && wait > 0 && wait < time.Minute {
			time.Sleep(wait)
		}
		emit(map[string]any{"type": "system", "subtype": "init", "session_id": sid, "model": "bench-agent"})
		head := []byte(`{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`)
		line := make([]byte, 0, 256)
		elapsed, lag, err := pace(rate, n, func(i int) error {
			line = append(line[:0], head...)
			line = appendDeltaText(line, i, time.Now().UnixNano())
			line = append(line, "\"}}}\n"...)
			_, err := out.Write(line)
			return err
		})
		if err != nil {
			return 1
		}
		res, _ := json.Marshal(agentResult{Sent: n, ElapsedNs: int64(elapsed), MaxLagNs: int64(lag)})
		emit(map[string]any{"type": "result", "subtype": "success", "is_error": false, "result": string(res),
			"total_cost_usd": 0, "duration_ms": elapsed.Milliseconds(), "num_turns": 1, "session_id": sid})
	}
	return 0
}
