#!/usr/bin/env bash
# Writes the release artifacts of VERSION into bin/dist (or the folder
# given), with their SHA-256 sums, and checks them:
#   konui_<v>_<arch>.deb              the desktop app for Debian (make package)
#   konui-<v>-windows-amd64.zip       konui.exe with the window (WebView2), LICENSE, notices
#   konui-<v>-darwin-arm64.tar.gz     konui serve and konui konsole (no window) for macOS,
#   konui-<v>-darwin-amd64.tar.gz       Apple silicon and Intel
#   konui-<v>-linux-arm64.tar.gz      konui serve and konui konsole for arm64 Linux
#   SHA256SUMS                        sha256sum -c reads it
# The macOS window is built on a Mac (README: wails build -platform
# darwin/universal). --no-deb leaves the .deb out: make test-cross runs
# this script that way, into a temporary folder, so that the suite builds
# the package once.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=1
if [ "${1:-}" = --no-deb ]; then deb=0; shift; fi
out=${1:-bin/dist}
version=$(tr -d '[:space:]' < VERSION)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "dist: VERSION holds \"$version\", not X.Y.Z" >&2; exit 1; }
npm=frontend/dist/third-party-licenses.json
[ -f "$npm" ] || { echo "dist: the dashboard is not built: run \"make frontend\"" >&2; exit 1; }
arch=$(dpkg --print-architecture)
debfile=konui_${version}_${arch}.deb
if ((deb)) && [ ! -f "bin/$debfile" ]; then echo "dist: bin/$debfile is missing: run \"make package\"" >&2; exit 1; fi
for tool in zip unzip tar sha256sum curl; do
  command -v "$tool" >/dev/null || { echo "dist: $tool is missing: run \"make setup\"" >&2; exit 1; }
done
date=$(sed -n "s/^## ${version//./\\.} - \([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}\)\$/\1/p" CHANGELOG.md | head -1)
[ -n "$date" ] || { echo "dist: CHANGELOG.md has no \"## $version - YYYY-MM-DD\" section" >&2; exit 1; }
# A fixed time for every file in the archives: the same sources give the same archives.
epoch=$(date -u -d "$date" +%s)

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/notices" ./scripts/notices

# stage OS ARCH TAGS LDFLAGS EXE: builds konui for one platform into
# $work/konui-<v>-OS-ARCH/ beside LICENSE and the notices of what it links.
stage() {
  local os=$1 goarch=$2 tags=$3 ldflags=$4 exe=$5 dir=$work/konui-$version-$1-$2 txt=""
  [ "$os" = windows ] && txt=.txt
  mkdir -p "$dir"
  GOOS=$os GOARCH=$goarch CGO_ENABLED=0 go build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$dir/$exe" .
  GOOS=$os GOARCH=$goarch CGO_ENABLED=0 "$work/notices" -tags "$tags" -npm "$npm" > "$dir/THIRD-PARTY-NOTICES$txt"
  cp LICENSE "$dir/LICENSE$txt"
  find "$dir" -exec touch -h -d "@$epoch" {} +
}

# Windows: the window needs no cgo (WebView2 through COM); -H windowsgui
# opens no console beside it, and konui.exe attaches to the terminal it is
# started from (console_windows.go).
stage windows amd64 desktop,production "-s -w -H windowsgui" konui.exe
(cd "$work" && rm -f "$out/konui-$version-windows-amd64.zip" &&
  zip -X -q -r "$out/konui-$version-windows-amd64.zip" "konui-$version-windows-amd64")
for t in darwin/arm64 darwin/amd64 linux/arm64; do
  os=${t%/*} goarch=${t#*/}
  stage "$os" "$goarch" "" "-s -w" konui
  tar -C "$work" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -cf - "konui-$version-$os-$goarch" |
    gzip -9n > "$out/konui-$version-$os-$goarch.tar.gz"
done
((deb)) && cp "bin/$debfile" "$out/"
(cd "$out" && sha256sum -- *.zip *.tar.gz $( ((deb)) && echo "$debfile") > "$work/SHA256SUMS" && mv "$work/SHA256SUMS" SHA256SUMS)

# The check: the names, the sums, what each archive holds, and that each
# binary is built for its platform and says VERSION.
want="konui-$version-darwin-amd64.tar.gz konui-$version-darwin-arm64.tar.gz konui-$version-linux-arm64.tar.gz konui-$version-windows-amd64.zip SHA256SUMS"
((deb)) && want="$want $debfile"
got=$(cd "$out" && ls | sort | tr '\n' ' ')
[ "$got" = "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ')" ] || { echo "dist: $out holds \"$got\", want \"$want\"" >&2; exit 1; }
(cd "$out" && sha256sum --quiet --strict -c SHA256SUMS) || { echo "dist: a sum in SHA256SUMS does not match" >&2; exit 1; }
check=$work/check
# says BIN OS ARCH: the binary is built for OS/ARCH and holds VERSION; one
# this machine can run (natively or under qemu-user) is asked for it.
says() {
  local bin=$1 os=$2 goarch=$3 info
  info=$(go version -m "$bin")
  grep -q "GOOS=$os\$" <<<"$info" && grep -q "GOARCH=$goarch\$" <<<"$info" ||
    { echo "dist: $bin is not built for $os/$goarch:"$'\n'"$info" >&2; exit 1; }
  grep -aqF "$version" "$bin" || { echo "dist: $bin does not hold the version $version" >&2; exit 1; }
  local run=()
  if [ "$os/$goarch" = "linux/$(go env GOHOSTARCH)" ]; then run=("$bin")
  elif [ "$os/$goarch" = linux/arm64 ] && command -v qemu-aarch64 >/dev/null; then run=(qemu-aarch64 "$bin"); fi
  if ((${#run[@]})); then
    local said
    said=$("${run[@]}" --version)
    [ "$said" = "konui $version" ] || { echo "dist: ${run[*]} --version says \"$said\", want \"konui $version\"" >&2; exit 1; }
    echo "dist: ${run[*]##*/} --version: $said"
    smoke "${run[@]}"
  fi
}
# smoke RUN...: konui konsole starts, answers /healthz with VERSION and,
# with its token, lists its sessions (SQLite and all), then stops on SIGTERM.
smoke() {
  local home=$check/home-$RANDOM url="" pid i body
  mkdir -p "$home"
  # The file exists before the background start opens it: a sed that ran
  # first would fail the script (set -e) on a busy machine.
  : > "$home/out"
  HOME=$home XDG_CONFIG_HOME=$home/.config XDG_DATA_HOME=$home/.local/share KONSOLE_TOKEN=dist-smoke \
    "$@" konsole --listen 127.0.0.1:0 --data "$home/data" >> "$home/out" 2>&1 &
  pid=$!
  # Under qemu-user on a busy machine a start takes seconds: wait for the
  # line that says it listens, up to 2 minutes.
  for ((i = 0; i < 1200; i++)); do
    url=$(sed -n 's/^Konsole listening on \(http:[^ ]*\) .*/\1/p' "$home/out")
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then kill "$pid" 2>/dev/null; echo "dist: $* konsole did not start:" >&2; cat "$home/out" >&2; exit 1; fi
  body=$(curl -sf "$url/healthz") && grep -q "\"version\":\"$version\"" <<<"$body" ||
    { kill "$pid"; echo "dist: $* konsole's /healthz said \"$body\"" >&2; exit 1; }
  body=$(curl -sf -H "Authorization: Bearer dist-smoke" "$url/v1/sessions") && grep -q '"sessions"' <<<"$body" ||
    { kill "$pid"; echo "dist: $* konsole's /v1/sessions said \"$body\"" >&2; exit 1; }
  kill -TERM "$pid"
  wait "$pid" || { echo "dist: $* konsole did not end cleanly on SIGTERM:" >&2; cat "$home/out" >&2; exit 1; }
  echo "dist: ${*##*/} konsole: started, /healthz and /v1/sessions answered, stopped"
}
mkdir -p "$check/win" && (cd "$check/win" && unzip -q "$out/konui-$version-windows-amd64.zip")
d=$check/win/konui-$version-windows-amd64
for f in konui.exe LICENSE.txt THIRD-PARTY-NOTICES.txt; do [ -s "$d/$f" ] || { echo "dist: the Windows zip has no $f" >&2; exit 1; }; done
[ "$(head -c2 "$d/konui.exe")" = MZ ] || { echo "dist: konui.exe is not a Windows program" >&2; exit 1; }
go version -m "$d/konui.exe" | grep -q -- '-tags=desktop,production' || { echo "dist: konui.exe is built without the window" >&2; exit 1; }
grep -q 'github.com/wailsapp/go-webview2' "$d/THIRD-PARTY-NOTICES.txt" || { echo "dist: the Windows notices miss WebView2's" >&2; exit 1; }
says "$d/konui.exe" windows amd64
for t in darwin/arm64 darwin/amd64 linux/arm64; do
  os=${t%/*} goarch=${t#*/} d=$check/konui-$version-${t/\//-}
  tar -C "$check" -xzf "$out/konui-$version-$os-$goarch.tar.gz"
  for f in konui LICENSE THIRD-PARTY-NOTICES; do [ -s "$d/$f" ] || { echo "dist: the $t tarball has no $f" >&2; exit 1; }; done
  says "$d/konui" "$os" "$goarch"
done
if ((deb)); then
  dpkg-deb -x "$out/$debfile" "$check/deb"
  says "$check/deb/usr/bin/konui" linux "$arch"
fi
echo "dist: $out: $(cd "$out" && ls | tr '\n' ' ')(sums checked)"
