package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/testkit/fakeapi"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
)

// BenchmarkColdStart measures what a person meets first: the first answer
// of a new session, and of a session after Konsole restarted, each from the
// request to the first text.delta read by a WebSocket client of the bridge.
// The baseline, measured in the same rounds, is the CLI started by hand
// with Konsole's flags minus --mcp-config (no kontask tools to load): spawn,
// write the prompt at once, read stdout to the first text delta. Rounds:
// KONUI_BENCH_COLD_ROUNDS (7), each round one of every path, interleaved.
func BenchmarkColdStart(b *testing.B) {
	started("cold-start")
	if claudePath() == "" {
		addSection("cold-start", section{Title: "Cold start: the first answer of a session",
			Body:    "Not measured: the Claude Code CLI is not installed (run `make setup`).",
			Targets: []target{{"new session: first text over the baseline, p50", "within 300 ms", "not measured (no CLI)", "MISS"}}})
		b.Skip("the Claude Code CLI is not installed: run make setup")
	}
	rounds := envInt("KONUI_BENCH_COLD_ROUNDS", 7)
	fake, err := fakeapi.Start("127.0.0.1:0", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fake.Close() })
	data, home := b.TempDir(), b.TempDir()
	h := kt.Start(b, kt.Options{DataDir: data, Home: home, Fake: fake})
	addr := strings.TrimPrefix(h.URL, "http://")
	_, srv := startBridge(b, h, "bench-token")
	ws := dialEvents(b, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/console/ws?token=bench-token&clientId=cold")

	// The session that is resumed after each restart, with one turn behind it.
	resumed := h.CreateSession()
	ws.firstText(b, h, resumed, "remember the word tangerine")

	var baseNew, baseResume, newSession, restarted, reconnect dist
	for i := 0; i < rounds; i++ {
		baseNew = append(baseNew, handStart(b, h, ""))

		t0 := time.Now()
		status, s := h.Do("POST", "/v1/sessions", map[string]any{"cwd": h.Work})
		if status != http.StatusCreated {
			b.Fatalf("create: %d %v", status, s)
		}
		sid := s["id"].(string)
		newSession = append(newSession, ws.firstTextSince(b, h, sid, fmt.Sprintf("first prompt %d", i), t0))
		h.Do("DELETE", "/v1/sessions/"+sid, nil)

		_, rs := h.Do("GET", "/v1/sessions/"+resumed, nil)
		baseResume = append(baseResume, handStart(b, h, rs["agentSessionId"].(string)))

		// Restart Konsole on the same address, folder and fake API.
		t0 = time.Now()
		h.Server.Close()
		h = kt.Start(b, kt.Options{DataDir: data, Home: home, Fake: fake, Configure: func(c *konsole.Config) { c.Listen = addr }})
		ws.caughtUp(b, h, resumed, fmt.Sprintf("restarted %d", i))
		reconnect = append(reconnect, time.Since(t0))
		restarted = append(restarted, ws.firstText(b, h, resumed, fmt.Sprintf("after restart %d", i)))
	}

	overNew := newSession.median() - baseNew.median()
	overResume := restarted.median() - baseResume.median()
	var body strings.Builder
	fmt.Fprintf(&body, "The real CLI on the fake Messages API; %d rounds, each one of every path below in turn. \"First text\" is the first `text.delta` of the session read by a WebSocket client of the bridge (`/api/console/ws`); the baseline reads the CLI's own stdout. A Konsole restart closes Konsole and starts a new one on the same address and data folder; the bridge reconnects on its own, and the resumed session's agent starts with `--resume` at its first prompt.\n\n", rounds)
	body.WriteString("| measured | samples | p50 | p90 | max |\n|---|---|---|---|---|\n")
	for _, row := range []struct {
		name string
		d    dist
	}{
		{"**new session: `POST /v1/sessions`, prompt -> first text at the WebSocket client**", newSession},
		{"baseline: CLI by hand without `--mcp-config`: spawn, prompt -> first text on stdout", baseNew},
		{"**after a Konsole restart: prompt -> first text (agent resumed)**", restarted},
		{"baseline: CLI by hand with `--resume`, without `--mcp-config`", baseResume},
		{"Konsole restart -> the bridge following its events again", reconnect},
	} {
		fmt.Fprintf(&body, "| %s | %d | %s | %s | %s |\n", row.name, len(row.d), ms(row.d.median()), ms(row.d.pct(90)), ms(row.d.max()))
	}
	fmt.Fprintf(&body, "\nOver the baseline at p50 (medians): new session %s (%s), after a restart %s (%s). Target: within 300 ms of the baseline: **%s**, **%s**.\n",
		signedMs(overNew), ratio(msf(newSession.median()), msf(baseNew.median())), signedMs(overResume), ratio(msf(restarted.median()), msf(baseResume.median())),
		verdict(overNew < 300*time.Millisecond), verdict(overResume < 300*time.Millisecond))
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(newSession.median()), "new-p50-ms")
	b.ReportMetric(msf(baseNew.median()), "baseline-p50-ms")
	b.ReportMetric(msf(restarted.median()), "restart-p50-ms")
	addSection("cold-start", section{
		Title: "Cold start: the first answer of a session",
		Body:  body.String(),
		Targets: []target{
			{"new session: first text, p50 over the CLI by hand", "within 300 ms", fmt.Sprintf("%s (%s against %s)", signedMs(overNew), ms(newSession.median()), ms(baseNew.median())), verdict(overNew < 300*time.Millisecond)},
			{"after a Konsole restart: first text, p50 over the CLI by hand with --resume", "within 300 ms", fmt.Sprintf("%s (%s against %s)", signedMs(overResume), ms(restarted.median()), ms(baseResume.median())), verdict(overResume < 300*time.Millisecond)},
		},
	})
}

func signedMs(d time.Duration) string {
	if d < 0 {
		return "-" + ms(-d)
	}
	return "+" + ms(d)
}

// handStart runs the CLI as Konsole would, minus --mcp-config, writes a
// prompt at once and returns the time from spawn to its first text delta.
func handStart(tb testing.TB, h *kt.Harness, resume string) time.Duration {
	tb.Helper()
	opts := claude.Options{Binary: claudePath(), Dir: h.Work, Env: kt.AgentEnv(h.Home, h.Fake.URL), Resume: resume,
		AllowedTools: kontask.ClaudeTools, Logger: quiet()}
	t0 := time.Now()
	p, err := claude.Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	defer func() {
		p.CloseInput()
		select {
		case <-p.Done():
		case <-time.After(5 * time.Second):
			p.Escalate(time.Second)
		}
		for range p.Outputs() {
		}
	}()
	if err := p.SendUser("a prompt to the CLI started by hand"); err != nil {
		tb.Fatal(err)
	}
	timeout := time.After(60 * time.Second)
	for {
		select {
		case out, ok := <-p.Outputs():
			if !ok {
				tb.Fatalf("the CLI by hand ended before any text: %s", p.StderrTail())
			}
			if out.Kind == claude.KindTextDelta {
				return time.Since(t0)
			}
		case <-timeout:
			tb.Fatal("the CLI by hand gave no text within 60 s")
		}
	}
}

// caughtUp renames sid on Konsole and waits for the rename to reach this
// client: proof that the bridge follows a Konsole that (re)started.
func (w *eventSocket) caughtUp(tb testing.TB, h *kt.Harness, sid, title string) {
	tb.Helper()
	if status, r := h.Do("PATCH", "/v1/sessions/"+sid, map[string]any{"title": title}); status != http.StatusOK {
		tb.Fatalf("rename: %d %v", status, r)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for {
		_, data, err := w.conn.Read(ctx)
		if err != nil {
			tb.Fatalf("the bridge did not follow the restarted Konsole: %v", err)
		}
		var f struct {
			Event struct {
				Type string `json:"type"`
				Data struct {
					Session struct {
						Title string `json:"title"`
					} `json:"session"`
				} `json:"data"`
			} `json:"event"`
		}
		if json.Unmarshal(data, &f) == nil && f.Event.Type == contract.EvSessionUpdated && f.Event.Data.Session.Title == title {
			return
		}
	}
}

// eventSocket is a WebSocket client of the bridge reading event frames.
type eventSocket struct{ conn *websocket.Conn }

func dialEvents(tb testing.TB, url string) *eventSocket {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	conn.SetReadLimit(64 << 20)
	tb.Cleanup(func() { conn.CloseNow() })
	return &eventSocket{conn: conn}
}

// firstText prompts sid and returns the time to its first text.delta.
func (w *eventSocket) firstText(tb testing.TB, h *kt.Harness, sid, text string) time.Duration {
	return w.firstTextSince(tb, h, sid, text, time.Now())
}

// firstTextSince prompts sid and returns the time from t0 to the first
// text.delta of the turn at this client; it then reads on to the turn's end.
func (w *eventSocket) firstTextSince(tb testing.TB, h *kt.Harness, sid, text string, t0 time.Time) time.Duration {
	tb.Helper()
	status, r := h.Do("POST", "/v1/sessions/"+sid+"/prompt", map[string]any{"text": text})
	if status != http.StatusAccepted {
		tb.Fatalf("prompt: %d %v", status, r)
	}
	turn, _ := r["turnId"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var first time.Duration
	for {
		_, data, err := w.conn.Read(ctx)
		if err != nil {
			tb.Fatalf("the WebSocket ended before the turn did: %v", err)
		}
		at := time.Since(t0)
		var f struct {
			Type  string `json:"type"`
			Event struct {
				Type   string          `json:"type"`
				TurnID string          `json:"turnId"`
				Data   json.RawMessage `json:"data"`
			} `json:"event"`
		}
		if json.Unmarshal(data, &f) != nil || f.Type != "event" || f.Event.TurnID != turn {
			continue
		}
		switch f.Event.Type {
		case contract.EvTextDelta:
			if first == 0 {
				first = at
			}
		case contract.EvTurnCompleted:
			if first == 0 {
				tb.Fatalf("the turn ended without text: %s", f.Event.Data)
			}
			return first
		}
	}
}

// BenchmarkWarmPrompt measures a prompt to a session whose agent is running
// and warm, from the request to the first text.delta at a WebSocket client
// of the bridge, beside the baseline of the same CLI started by hand (also
// warm: one turn behind it), timed from writing the prompt on its stdin to
// its first text delta on stdout, in the same rounds. KONUI_BENCH_WARM_ROUNDS (30).
func BenchmarkWarmPrompt(b *testing.B) {
	started("warm")
	if claudePath() == "" {
		addSection("warm", section{Title: "Warm prompt: first text through the chain",
			Body:    "Not measured: the Claude Code CLI is not installed (run `make setup`).",
			Targets: []target{{"warm prompt: the chain's added latency at p50", "< 5 ms", "not measured (no CLI)", "MISS"}}})
		b.Skip("the Claude Code CLI is not installed: run make setup")
	}
	rounds := envInt("KONUI_BENCH_WARM_ROUNDS", 30)
	h := kt.Start(b, kt.Options{})
	_, srv := startBridge(b, h, "bench-token")
	ws := dialEvents(b, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/console/ws?token=bench-token&clientId=warm")
	sid := h.CreateSession()
	ws.firstText(b, h, sid, "warm up")

	p, err := claude.Start(claude.Options{Binary: claudePath(), Dir: h.Work, Env: kt.AgentEnv(h.Home, h.Fake.URL),
		AllowedTools: kontask.ClaudeTools, Logger: quiet()})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { p.CloseInput(); p.Escalate(time.Second) }()
	hand := func(text string) time.Duration {
		t0 := time.Now()
		if err := p.SendUser(text); err != nil {
			b.Fatal(err)
		}
		var first time.Duration
		for out := range p.Outputs() {
			if out.Kind == claude.KindTextDelta && first == 0 {
				first = time.Since(t0)
			}
			if out.Kind == claude.KindResult {
				return first
			}
		}
		b.Fatalf("the CLI by hand ended: %s", p.StderrTail())
		return 0
	}
	hand("warm up")

	var chain, base dist
	for i := 0; i < rounds; i++ {
		base = append(base, hand(fmt.Sprintf("warm prompt %d", i)))
		chain = append(chain, ws.firstText(b, h, sid, fmt.Sprintf("warm prompt %d", i)))
	}
	added := chain.median() - base.median()
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(msf(chain.median()), "chain-p50-ms")
	b.ReportMetric(msf(base.median()), "baseline-p50-ms")
	var body strings.Builder
	fmt.Fprintf(&body, "A session whose agent has answered once, prompted %d times; beside it in the same rounds the same CLI started by hand with Konsole's flags minus `--mcp-config`, also warm. Chain: `POST /v1/sessions/{id}/prompt` -> the first `text.delta` read by a WebSocket client of the bridge. Baseline: the prompt written on the CLI's stdin -> its first text delta on stdout.\n\n", rounds)
	body.WriteString("| measured | samples | p50 | p90 | max |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&body, "| **chain: prompt -> first text at the WebSocket client** | %d | %s | %s | %s |\n", len(chain), ms(chain.median()), ms(chain.pct(90)), ms(chain.max()))
	fmt.Fprintf(&body, "| baseline: the CLI's own first delta on its stdout | %d | %s | %s | %s |\n", len(base), ms(base.median()), ms(base.pct(90)), ms(base.max()))
	fmt.Fprintf(&body, "\nThe chain adds %s at p50 (%s). Target: under 5 ms: **%s**.\n", signedMs(added), ratio(msf(chain.median()), msf(base.median())), verdict(added < 5*time.Millisecond))
	addSection("warm", section{
		Title: "Warm prompt: first text through the chain",
		Body:  body.String(),
		Targets: []target{{"warm prompt: the chain's added latency at p50 (over the CLI's own first delta)", "< 5 ms",
			fmt.Sprintf("%s (%s against %s)", signedMs(added), ms(chain.median()), ms(base.median())), verdict(added < 5*time.Millisecond)}},
	})
}
