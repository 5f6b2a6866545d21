#!/usr/bin/env bash
# Runs the load and soak tests of backend/testkit/bench (TestLoad: 50 WebSocket
# clients on one bridge and 20 sessions streaming for 60 s; TestSoak: a
# 5-minute warm-up, then 10 minutes of steady traffic with the memory
# sampled every 10 s) and adds their figures to docs/benchmarks.md under
# "## Load and soak", leaving the rest of the file as it is. Needs the pinned Claude Code CLI (make setup).
# Knobs (environment): KONUI_LOAD_CLIENTS, KONUI_LOAD_SESSIONS,
# KONUI_LOAD_SECONDS, KONUI_LOAD_PROMPT, KONUI_SOAK_MINUTES,
# KONUI_SOAK_WARMUP_MINUTES, KONUI_SOAK_SESSIONS, KONUI_SOAK_CLIENTS,
# KONUI_SOAK_KEEP_EVENTS (events Konsole keeps for replay);
# LOAD_RUN (default 'TestLoad|TestSoak') picks the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export KONUI_LOAD=1 KONUI_LOAD_REPORT="$work/report.md"

echo "load: running ${LOAD_RUN:-TestLoad|TestSoak} (the soak alone takes 15+ minutes)"
set +e
go test -run "${LOAD_RUN:-TestLoad|TestSoak}" -count 1 -timeout 30m -v ./backend/testkit/bench/ 2>&1 | tee "$work/log"
status=${PIPESTATUS[0]}
set -e

if [ ! -s "$KONUI_LOAD_REPORT" ]; then
  echo "load: the tests wrote no figures; docs/benchmarks.md is unchanged"
  exit 1
fi
{
  echo
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), go test exit status $status (\`scripts/load.sh\`, not race-enabled)."
  cat "$KONUI_LOAD_REPORT"
} >"$work/section.md"

# Insert at the end of the "## Load and soak" section, creating it at the
# end of the file when it is not there yet.
doc=docs/benchmarks.md
if ! grep -q '^## Load and soak$' "$doc"; then
  cat >>"$doc" <<'HEAD'

## Load and soak

Written by `scripts/load.sh` (`KONUI_LOAD=1 go test -run 'TestLoad|TestSoak' ./backend/testkit/bench/`),
which adds each run's figures here; `make bench` does not run these. **Load**: WebSocket
clients on one bridge and sessions streaming at once on one Konsole (the real Claude Code CLI on
the fake Messages API); every client must get every Konsole event exactly once with a
contiguous `seq`. **Soak**: steady traffic for minutes with the process's memory sampled
every 10 s; none of the ruled measures may grow more than 10% after the warm-up.
HEAD
fi
awk -v section="$work/section.md" '
  function flush() { while ((getline line < section) > 0) print line; close(section); done = 1 }
  /^## / && inside && !done { flush(); print ""; inside = 0 }
  /^## Load and soak$/ { inside = 1 }
  { print }
  END { if (inside && !done) flush() }
' "$doc" >"$work/doc.md"
cp "$work/doc.md" "$doc"
echo "load: added the figures to $doc"
exit "$status"
