#!/usr/bin/env bash
# Runs a command with CPU-bound processes beside it: the busy machine the
# suite must pass on (issue 24; `make test-loaded` runs `make test` so).
#   scripts/with-cpu-load.sh COMMAND [ARGS...]
# KONUI_BURNERS sets how many (default 2). The burners end with the command
# whatever way it ends: the trap kills them on exit, failure, Ctrl-C or
# TERM, and each burner also ends by itself once this script is gone (a
# SIGKILL of it runs no trap), so none is ever left spinning.
set -uo pipefail

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
n=${KONUI_BURNERS:-2}
pids=()
cleanup() {
  ((${#pids[@]})) || return 0
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  pids=()
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Each burner spins in the shell and looks every 200,000 turns (well under
# a second) whether this script still runs.
for ((i = 0; i < n; i++)); do
  sh -c 'parent=$1; i=0
    while :; do
      i=$((i + 1))
      if [ "$i" -ge 200000 ]; then i=0; kill -0 "$parent" 2>/dev/null || exit 0; fi
    done' burner $$ &
  pids+=($!)
done
echo "with-cpu-load: $n CPU-bound processes beside: $* (pids ${pids[*]})"

"$@"
status=$?
cleanup
echo "with-cpu-load: '$*' exited with $status"
exit "$status"
