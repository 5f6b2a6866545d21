#!/usr/bin/env bash
# Runs each make target given, in order, whether or not one before it
# failed, then lists how each went; exits non-zero when any failed.
# "make test" calls it with TEST_TARGETS (the Makefile):
#   scripts/test-all.sh test-vet test-ui test-go ...
# A Ctrl-C (or TERM) stops the whole run: the targets after it do not start.
set -uo pipefail
cd "$(dirname "$0")/.."

if (($# == 0)); then
  echo "usage: $0 TARGET..." >&2
  exit 2
fi
make=${MAKE:-make}
stopped=""
trap 'stopped=INT' INT
trap 'stopped=TERM' TERM

names=() results=() failed=()
began=$SECONDS
for target in "$@"; do
  echo "==> make $target"
  start=$SECONDS
  $make "$target"
  status=$?
  took=$((SECONDS - start))
  names+=("$target")
  if ((status == 0)); then
    results+=("ok      $(printf '%4dm%02ds' $((took / 60)) $((took % 60)))")
  else
    results+=("FAILED  $(printf '%4dm%02ds' $((took / 60)) $((took % 60)))  (exit $status)")
    failed+=("$target")
  fi
  echo "<== make $target: ${results[-1]}"
  if [ -n "$stopped" ]; then
    echo "test-all: stopped by SIG$stopped after $target"
    break
  fi
done

total=$((SECONDS - began))
echo
echo "Summary of make test ($((total / 60))m$(printf '%02d' $((total % 60)))s):"
for i in "${!names[@]}"; do
  printf '  %-14s %s\n' "${names[$i]}" "${results[$i]}"
done
for target in "$@"; do
  [[ " ${names[*]} " == *" $target "* ]] || printf '  %-14s %s\n' "$target" "not run"
done
if [ -n "$stopped" ]; then
  exit 130
fi
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "All ${#names[@]} targets passed."
