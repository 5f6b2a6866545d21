#!/usr/bin/env bash
# Builds and vets konui for the platforms this machine cannot run the suite
# on (the README's platform table), then runs make dist's script without
# the .deb into a temporary folder, which builds the release archives and
# checks them (names, sums, platform, version; the linux/arm64 binary runs
# under qemu-user). Every step runs; the failures are listed at the end.
#   windows/amd64 -tags desktop,production   the window (Wails needs no cgo there)
#   windows/amd64                            konui serve and konui konsole
#   darwin/arm64, darwin/amd64               serve and konsole (CGO_ENABLED=0; the
#                                            window needs cgo and a Mac)
#   linux/arm64                              serve and konsole
# The build cache is shared with make dist (same flags): a second run
# mostly links.
set -uo pipefail
cd "$(dirname "$0")/.."
targets=("windows amd64 desktop,production" "windows amd64 -" "darwin arm64 -" "darwin amd64 -" "linux arm64 -")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
total=$SECONDS

# packages OS ARCH TAGS: what go vet checks for a target: every package but,
# on macOS without cgo, the window's (those that link fyne.io/systray,
# whose macOS half is Objective-C).
packages() {
  if [ "$1" = darwin ]; then
    GOOS=$1 GOARCH=$2 CGO_ENABLED=0 go list -tags "$3" -f '{{.ImportPath}}{{range .Deps}} {{.}}{{end}}' ./... |
      awk '{ for (i = 2; i <= NF; i++) if ($i == "fyne.io/systray") next; print $1 }'
  else
    echo ./...
  fi
}

for t in "${targets[@]}"; do
  read -r os goarch tags <<<"$t"
  [ "$tags" = - ] && tags=""
  name="$os/$goarch${tags:+ -tags $tags}"
  start=$SECONDS
  # The builds make dist ships are built (and checked) by dist.sh below,
  # with the same flags; this one is not shipped.
  if [ "$os/$goarch/$tags" = windows/amd64/ ]; then
    GOOS=$os GOARCH=$goarch CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/konui.exe" . || failed+=("build $name")
  fi
  mapfile -t pkgs < <(packages "$os" "$goarch" "$tags")
  # -trimpath as in the builds: vet then type-checks against the packages
  # those compiled, instead of compiling every dependency a second time.
  GOOS=$os GOARCH=$goarch CGO_ENABLED=0 go vet -trimpath -tags "$tags" "${pkgs[@]}" || failed+=("vet $name")
  echo "test-cross: $name: vetted ($((SECONDS - start)) s)"
done

start=$SECONDS
./scripts/dist.sh --no-deb "$work/dist" || failed+=("make dist's script (scripts/dist.sh --no-deb)")
echo "test-cross: the release archives: built and checked ($((SECONDS - start)) s)"

if ((${#failed[@]})); then
  printf 'test-cross: FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "test-cross: ${#targets[@]} targets built and vetted, the release archives checked, in $((SECONDS - total)) s"
