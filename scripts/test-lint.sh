#!/usr/bin/env bash
# Runs golangci-lint (.golangci.yml says what it checks) over the module for
# each build make test and make test-cross check: linux with the window and
# without, Windows with the window and without, and macOS without cgo (as
# scripts/test-cross.sh, without the packages that link fyne.io/systray,
# whose macOS half is Objective-C). Every target runs; the failures are
# listed at the end. Usage: scripts/test-lint.sh PATH-TO-GOLANGCI-LINT
set -uo pipefail
cd "$(dirname "$0")/.."
lint=${1:?usage: $0 PATH-TO-GOLANGCI-LINT}
targets=("linux amd64 -" "linux amd64 desktop,production,webkit2_41" "windows amd64 desktop,production" "windows amd64 -" "darwin arm64 -")
failed=()
for t in "${targets[@]}"; do
  read -r os goarch tags <<<"$t"
  [ "$tags" = - ] && tags=""
  name="$os/$goarch${tags:+ -tags $tags}"
  # The linux window links WebKitGTK through cgo; the other builds are
  # cross-compiled without it, as make dist builds them.
  cgo=0
  [ "$os" = linux ] && cgo=1
  pkgs=(./...)
  if [ "$os" = darwin ]; then
    mapfile -t pkgs < <(GOOS=$os GOARCH=$goarch CGO_ENABLED=0 go list -tags "$tags" -f '{{.Dir}}{{range .Deps}} {{.}}{{end}}' ./... |
      awk '{ for (i = 2; i <= NF; i++) if ($i == "fyne.io/systray") next; print $1 }')
  fi
  start=$SECONDS
  GOOS=$os GOARCH=$goarch CGO_ENABLED=$cgo "$lint" run --build-tags "$tags" "${pkgs[@]}" || failed+=("$name")
  echo "test-lint: $name: linted ($((SECONDS - start)) s)"
done
if ((${#failed[@]})); then
  printf 'test-lint: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "test-lint: ${#targets[@]} targets linted clean"
