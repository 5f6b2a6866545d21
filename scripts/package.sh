#!/usr/bin/env bash
# Builds a Debian package of the desktop app: bin/konui_<version>_<arch>.deb
# with the binary, a .desktop entry and the icon.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:-0.1.0}
version=${version#v}
arch=$(dpkg --print-architecture)
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
install -Dm755 bin/konui-desktop "$root/usr/bin/konui"
install -Dm644 build/linux/konui.desktop "$root/usr/share/applications/konui.desktop"
install -Dm644 build/appicon.png "$root/usr/share/icons/hicolor/512x512/apps/konui.png"
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: konui
Version: ${version}
Section: devel
Priority: optional
Architecture: ${arch}
Depends: libgtk-3-0, libwebkit2gtk-4.1-0
Recommends: nodejs
Maintainer: Konui developers <konui@localhost>
Description: Desktop console for Claude Code sessions
 A native window with a dashboard to drive Claude Code sessions: streaming
 transcripts, tool approvals, a Stop that stops, and kontask notifications.
CONTROL
out="bin/konui_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "package: $out"
