#!/usr/bin/env bash
# Desktop benchmark: binary size, and the memory (PSS of the process and all
# its children: main and WebKit) of the running app idle and with a
# 1,000-message transcript open, beside a bare Wails window built in the
# same run. Runs itself under Xvfb and a private session bus. Prints a
# Markdown section.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KONUI_BENCH_INNER:-}" ]; then
  go build -trimpath -tags desktop,production,webkit2_41 -ldflags '-s -w' -o bin/konui-desktop .
  go build -trimpath -tags desktop,production,webkit2_41 -ldflags '-s -w' -o bin/bare-wails ./app/internal/bare
  go build -o bin/konui-seed ./backend/testkit/konsoletest/cmd/konui-seed
  KONUI_BENCH_INNER=1 exec xvfb-run -a -s "-screen 0 1400x900x24" dbus-run-session -- "$0" "$@"
fi

pss_tree() { # pid -> total PSS in KiB of the pid and its descendants
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    if [ "$p" != "$1" ]; then
      total=$((total + $(pss_tree "$p")))
    elif [ -r "/proc/$p/smaps_rollup" ]; then
      total=$((total + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
    fi
  done
  echo "$total"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

pss_parts() { # pid -> "main web network": PSS in KiB of the pid itself, of its WebKitWebProcess and of its WebKitNetworkProcess descendants
  local main=0 web=0 net=0 p comm v
  for p in $1 $(pgrep -P "$1" || true) $(for c in $(pgrep -P "$1" || true); do pgrep -P "$c" || true; done); do
    [ -r "/proc/$p/smaps_rollup" ] || continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null || true)
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")
    case $p:$comm in
      "$1":*) main=$((main + v)) ;;
      *:WebKitWebProces*) web=$((web + v)) ;;
      *:WebKitNetworkPr*) net=$((net + v)) ;;
    esac
  done
  echo "$main $web $net"
}

measure() { # label, settle seconds, command...
  local label=$1 settle=$2
  shift 2
  "$@" >/dev/null 2>&1 &
  local pid=$!
  sleep "$settle"
  local samples=()
  for _ in 1 2 3 4 5; do
    samples+=("$(pss_tree "$pid")")
    sleep 1
  done
  pss_parts "$pid" >>"$work/parts-$label"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 1
  printf '%s\n' "${samples[@]}" | median
}

first_second() { # data folder -> ms from exec to the dashboard connected and showing the session list
  local data=$1 log t0 t1
  log=$(mktemp)
  t0=$(date +%s%N)
  bin/konui-desktop --data "$data" --log-level info 2>"$log" >/dev/null &
  local pid=$!
  for _ in $(seq 3000); do
    grep -q 'dashboard ready' "$log" && break
    sleep 0.01
  done
  t1=$(date +%s%N)
  grep -q 'dashboard ready' "$log" || t1=0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$log"
  sleep 1
  if [ "$t1" = 0 ]; then echo 999999; else echo $(((t1 - t0) / 1000000)); fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_DATA_HOME=$work/home/.local/share XDG_CACHE_HOME=$work/home/.cache
mkdir -p "$HOME/project"
export KONUI_CLAUDE=${KONUI_CLAUDE:-$PWD/.tools/claude/node_modules/.bin/claude}
bin/konui-seed --data "$work/seeded" --cwd "$HOME/project" --title "1,000 messages" --messages 1000 >/dev/null

runs=${RUNS:-3}
bare=() idle=() open=()
for _ in $(seq "$runs"); do
  bare+=("$(measure bare 6 bin/bare-wails)")
  idle+=("$(measure idle 8 bin/konui-desktop --data "$work/empty")")
  open+=("$(measure open 10 bin/konui-desktop --data "$work/seeded")")
done
starts=${START_RUNS:-7}
fresh=() seeded=()
for i in $(seq "$starts"); do
  fresh+=("$(first_second "$work/fresh-$i")")
  seeded+=("$(first_second "$work/seeded")")
done
fs=$(printf '%s\n' "${fresh[@]}" | median)
ss=$(printf '%s\n' "${seeded[@]}" | median)
b=$(printf '%s\n' "${bare[@]}" | median)
i=$(printf '%s\n' "${idle[@]}" | median)
o=$(printf '%s\n' "${open[@]}" | median)
size=$(stat -c %s bin/konui-desktop)
bsize=$(stat -c %s bin/bare-wails)
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
part() { awk -v f="$2" '{print $f}' "$work/parts-$1" | median; } # label, field -> median KiB over the runs
parts_row() { # figure, field
  local k b
  k=$(part idle "$2") b=$(part bare "$2")
  echo "| $1 | $(mib "$k") MiB | $(mib "$b") MiB | +$(mib $((k - b))) MiB |"
}
verdict() { if [ "$1" = 1 ]; then echo PASS; else echo MISS; fi; }
cat <<MD
### Desktop app (Wails window, WebKitGTK 4.1, under Xvfb)

Medians of $runs runs, each the median of 5 samples taken 1 s apart after the
window settled. PSS summed over the process and all its children (the Go
process with the embedded Konsole and bridge, WebKitWebProcess,
WebKitNetworkProcess).

| figure | konui | bare Wails window | difference | target |
|---|---|---|---|---|
| binary size (stripped) | $(mib $((size / 1024))) MiB | $(mib $((bsize / 1024))) MiB | | under 25 MB: $(verdict $((size < 25000000))) |
| PSS idle | $(mib "$i") MiB | $(mib "$b") MiB | +$(mib $((i - b))) MiB | within 40 MB of bare: $(verdict $(((i - b) * 1024 < 40000000))) |
| PSS with a 1,000-message transcript open | $(mib "$o") MiB | $(mib "$b") MiB | +$(mib $((o - b))) MiB | |

Samples (KiB): bare ${bare[*]}; idle ${idle[*]}; open ${open[*]}.

Where the idle PSS is: each process's PSS at the last sample of a run,
the median over the runs (so the three need not add up to the total's
median exactly).

| process | konui idle | bare Wails window | difference |
|---|---|---|---|
$(parts_row "konui (Go: Konsole, bridge, Wails, GTK)" 1)
$(parts_row "WebKitWebProcess (the dashboard)" 2)
$(parts_row "WebKitNetworkProcess" 3)

**The window's first second**: from exec of \`konui\` to the dashboard connected
to its bridge and showing the session list (the page reports it through the
bound method \`DashboardReady\`, which logs \`dashboard ready\`; the script polls
the log every 10 ms). Medians of $starts starts each: a first run on a new data
folder (the embedded Konsole creates its database), and a data folder holding a
session with 1,000 messages.

| figure | median | samples (ms) | target |
|---|---|---|---|
| first run: exec -> dashboard connected with its session list | $fs ms | ${fresh[*]} | under 1.5 s: $(verdict $((fs < 1500))) |
| with a 1,000-message session: exec -> dashboard connected with its session list | $ss ms | ${seeded[*]} | under 1.5 s: $(verdict $((ss < 1500))) |
MD
