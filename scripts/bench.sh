#!/usr/bin/env bash
# Runs the benchmarks of Konsole and the bridge (backend/testkit/bench), of the
# dashboard in Chromium (frontend/e2e/ui.bench-ui.ts) and of the desktop
# window (scripts/bench-desktop.sh), and rewrites docs/benchmarks.md with
# their figures and the machine they ran on.
# They take a few minutes. Knobs (environment): KONUI_BENCH_STOPS,
# KONUI_BENCH_LOG_EVENTS, KONUI_BENCH_LOG_RUNS, KONUI_BENCH_LATENCY_RATE,
# KONUI_BENCH_WRITE_RATE, KONUI_BENCH_WRITE_ROUNDS, KONUI_BENCH_WRITE_EVENTS,
# KONUI_BENCH_LATENCY_SECONDS, KONUI_BENCH_LATENCY_ROUNDS, KONUI_BENCH_RATES,
# KONUI_BENCH_STEP_SECONDS, KONUI_BENCH_CHANGES_ROUNDS, KONUI_BENCH_FLEET_RATE,
# KONUI_BENCH_FLEET_KONSOLES, KONUI_BENCH_FLEET_SESSIONS, KONUI_BENCH_FLEET_SECONDS,
# KONUI_BENCH_FLEET_ROUNDS, KONUI_BENCH_FLEET_KILL_SECONDS, KONUI_BENCH_CHECKPOINT_ROUNDS (see backend/testkit/bench).
# One section alone: go test -run '^$' -bench BridgeFleet -benchtime 1x ./backend/testkit/bench/
# with KONUI_BENCH_REPORT=FILE for its Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KONUI_BENCH_REPORT="$work/report.md"

echo "bench: running the benchmarks (a few minutes)"
set +e
go test -run '^$' -bench . -benchtime 1x -count 1 -timeout 30m ./backend/testkit/bench/ 2>&1 | tee "$work/log"
status=${PIPESTATUS[0]}
set -e

# The dashboard in Chromium, and the desktop window's size and memory.
echo "bench: the dashboard in Chromium"
make --no-print-directory frontend >/dev/null
go build -o bin/konui . && go build -o bin/fakeapi ./backend/testkit/fakeapi/cmd/fakeapi && go build -o bin/konui-seed ./backend/testkit/konsoletest/cmd/konui-seed
rm -f test-artifacts/ui-bench.md
(cd frontend && npx vitest run --config vitest.bench.config.ts) || status=1
echo "bench: the desktop window"
./scripts/bench-desktop.sh >"$work/desktop.md" || status=1

if [ ! -s "$KONUI_BENCH_REPORT" ]; then
  echo "bench: the benchmarks wrote no report; docs/benchmarks.md is unchanged"
  exit 1
fi

# scripts/load.sh owns the "Load and soak" section: keep it.
load_section=$(sed -n '/^## Load and soak/,$p' docs/benchmarks.md 2>/dev/null || true)

{
  cat <<'INTRO'
# Benchmarks

Written by `make bench` (`scripts/bench.sh`, which runs `go test -bench . ./backend/testkit/bench`);
run it again rather than editing this file. All figures below come from one run on the
machine described, a shared machine whose load varies: so each figure stands beside a
baseline measured in the same run, distributions are given as medians and percentiles
(nearest-rank), and sample counts are printed. Benchmarks never fail for being slow: each
target is marked **PASS** or **MISS**.

- **Stop latency** (target p50 under 100 ms, p99 under 300 ms): with the real Claude Code
  CLI on the fake Messages API, the time from `POST /v1/sessions/{id}/stop` to
  `turn.completed` arriving on `GET /v1/events`, over repeated stops of a long answer in
  one session. Baseline: a rename request until its `session.updated` arrives, the same
  HTTP -> Konsole -> SSE path without the agent.
- **Event log throughput** (target at least 20,000 events/s): events appended with
  `Log.Append` and delivered to one subscriber, over SQLite and over the in-memory
  baseline `konsole.MemoryEvents` (Log + Subscription), and through the whole server
  over SQLite (`Server.Log().Append` -> `GET /v1/events` over HTTP). The target applies to
  the HTTP path.
- **Event commits** (no target of its own): Konsole's store committing one event at a
  time at 1,000 commits/s, with the write-ahead log checkpointed in the background, beside
  the same store with SQLite's automatic checkpoints (run inside a commit).
- **Bridge latency** (target: under 1 ms added at p99 over the baseline, at 1,000
  events/s): from the agent writing a stdout line to the dashboard's WebSocket client
  reading the frame. The test binary plays the agent; its lines go through the real chain:
  Konsole's stream-json parser, the session, the SQLite event log, the SSE stream, the
  bridge's SSE client and hub, the WebSocket. Baseline: frames of the same shape written
  at the same pace straight to a loopback `coder/websocket` connection.
- **Bridge sustained rate** (target at least 20,000 events/s with nothing lost): the
  highest step of rate the chain holds for the whole step with every event delivered in
  order (contiguous `seq`), beside the same ladder over the direct WebSocket baseline.
- **Fleet** (targets: within 1 ms of one Konsole at p99; with one Konsole killed and
  restarted, the others' p99 unchanged beyond noise and nothing lost): ten Konsoles,
  each its own process, with five sessions each streaming 1,000 events/s in total through
  one bridge, beside one Konsole with five sessions at the same total through a bridge
  of its own, end to end and the bridge's share (a direct SSE client of each Konsole to
  the WebSocket client); the agent is the test binary, as for the bridge latency.
- **Cold start** (target: within 300 ms of the baseline at p50): with the real CLI, a new
  session (`POST /v1/sessions`, then a prompt) to its first `text.delta` at a WebSocket
  client of the bridge, and a session after a Konsole restart (prompt to first text,
  the agent resumed), each beside the CLI started by hand with Konsole's flags minus
  `--mcp-config` in the same rounds. Also: a Konsole restart until the bridge follows it.
- **Warm prompt** (target: the chain adds under 5 ms at p50): a prompt to a warm session
  to its first text at the client, beside the CLI's own first delta on its stdout.
- **Search** (target: p99 under 50 ms) over 100,000 stored messages with FTS5, beside a
  `LIKE` scan; **History** (target: under 1 s cold) listing 1,000 CLI conversation
  files, beside a plain directory walk; **Changes** (target: under 300 ms) the listing
  and one diff of a 10,000-file repository with 200 changed files, beside
  `git diff --stat`; **Checkpoint** (target: under 50 ms at p50) the snapshot of a
  10,000-file folder Konsole takes before each prompt (issue 28), beside
  `git stash create` on the same tree.
- **Dashboard** (targets: a 100,000-message session painted within 500 ms of opening it;
  no frame over 50 ms while 200 deltas per second stream in): measured in Chromium,
  beside a 10-message session and the idle page.
- **Desktop** (targets: binary under 25 MB; the app idle within 40 MB PSS of a bare Wails
  window): the stripped desktop binary, and PSS of the app's process tree (Go process,
  WebKit processes) idle and with a 1,000-message transcript open, beside a bare Wails
  window built in the same run; and the window's first second (target under 1.5 s): exec
  to the dashboard connected and showing its session list.

INTRO
  cat "$KONUI_BENCH_REPORT"
  echo
  echo "## Dashboard and desktop"
  echo
  cat test-artifacts/ui-bench.md 2>/dev/null || echo "The dashboard benchmark wrote no figures."
  echo
  grep -v '^SpiRegistry' "$work/desktop.md" 2>/dev/null || echo "The desktop benchmark wrote no figures."
  echo
  echo "## Raw output"
  echo
  echo '```'
  grep -E '^(goos|goarch|cpu|Benchmark)' "$work/log" || true
  echo '```'
  if [ -n "$load_section" ]; then
    echo
    echo "$load_section"
  fi
} >docs/benchmarks.md

echo "bench: wrote docs/benchmarks.md"
exit "$status"
