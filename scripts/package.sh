#!/usr/bin/env bash
# Builds the Debian package of the desktop app, bin/konui_<version>_<arch>.deb,
# from bin/konui-desktop (make desktop builds it, as PIE) and the dashboard's
# dist/: the binary, its .desktop entry, icons from 16 to 512 px and the SVG
# (rendered from build/konui.svg), AppStream metainfo, the konui(1) man page
# generated from the flags, the copyright file, the changelogs and the
# licence notices of everything the binary embeds.
#
# The version is VERSION's; CHANGELOG.md must have a "## VERSION - DATE"
# section. MAINTAINER (Name <email>) and HOMEPAGE may be overridden.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(tr -d '[:space:]' < VERSION)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "package: VERSION holds \"$version\", not X.Y.Z" >&2; exit 1; }
maintainer=${MAINTAINER:-"Konui developers <maintainers@konui.dev>"}
homepage=${HOMEPAGE:-https://github.com/konui/konui}
arch=$(dpkg --print-architecture)
date=$(sed -n "s/^## ${version//./\\.} - \([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}\)\$/\1/p" CHANGELOG.md | head -1)
[ -n "$date" ] || { echo "package: CHANGELOG.md has no \"## $version - YYYY-MM-DD\" section" >&2; exit 1; }
[ -x bin/konui-desktop ] || { echo "package: bin/konui-desktop is missing: run \"make desktop\"" >&2; exit 1; }
[ -f frontend/dist/third-party-licenses.json ] || { echo "package: the dashboard is not built: run \"make frontend\"" >&2; exit 1; }
for tool in rsvg-convert dpkg-shlibdeps gzip; do
  command -v "$tool" >/dev/null || { echo "package: $tool is missing: run \"make setup\"" >&2; exit 1; }
done
# A fixed time for the files and compressed docs: the same sources give the same package.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -u -d "$date" +%s)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root" && chmod 755 "$root"
doc=$root/usr/share/doc/konui
install -d -m755 "$doc"
install -Dm755 bin/konui-desktop "$root/usr/bin/konui"
install -Dm644 build/linux/konui.desktop "$root/usr/share/applications/konui.desktop"
for s in 16 24 32 48 64 128 256 512; do
  install -d -m755 "$root/usr/share/icons/hicolor/${s}x${s}/apps"
  rsvg-convert -w "$s" -h "$s" build/konui.svg -o "$root/usr/share/icons/hicolor/${s}x${s}/apps/konui.png"
  chmod 644 "$root/usr/share/icons/hicolor/${s}x${s}/apps/konui.png"
done
install -Dm644 build/konui.svg "$root/usr/share/icons/hicolor/scalable/apps/konui.svg"
install -d -m755 "$root/usr/share/metainfo"
sed -e "s|@HOMEPAGE@|$homepage|g" -e "s|@VERSION@|$version|g" -e "s|@DATE@|$date|g" \
  build/linux/konui.metainfo.xml.in > "$root/usr/share/metainfo/dev.konui.konui.metainfo.xml"
chmod 644 "$root/usr/share/metainfo/dev.konui.konui.metainfo.xml"

# The man page, from the flags of the binary's own commands.
install -d -m755 "$root/usr/share/man/man1"
env -u KONUI_CLAUDE -u KONSOLE_URL -u KONUI_TOKEN go run ./backend/cli/cmd/konui-man "$version" "$date" |
  gzip -9n > "$root/usr/share/man/man1/konui.1.gz"

email=${maintainer##*<}; email=${email%>}
sed -e "s|@HOMEPAGE@|$homepage|g" -e "s|@MAINTAINER_EMAIL@|$email|g" build/linux/copyright > "$doc/copyright"
gzip -9n < CHANGELOG.md > "$doc/CHANGELOG.md.gz"
go run ./scripts/notices -tags desktop,production,webkit2_41 -npm frontend/dist/third-party-licenses.json |
  gzip -9n > "$doc/THIRD-PARTY-NOTICES.gz"

# The Debian changelog (native package: changelog.gz), one entry per
# "## X.Y.Z - DATE" section of CHANGELOG.md, its paragraphs and "- " items
# as "* " items.
awk -v maint="$maintainer" '
  /^## [0-9]+\.[0-9]+\.[0-9]+ - [0-9-]+$/ {
    if (ver != "") { if (item != "") print item; item=""; print ""; print " -- " maint "  " stamp; print "" }
    ver=$2; cmd="date -u -R -d " $4; cmd | getline stamp; close(cmd)
    print "konui (" ver ") unstable; urgency=medium"; print ""; next }
  ver == "" { next }
  /^- / { if (item != "") print item; item="  * " substr($0, 3); next }
  /^  [^ ]/ && item != "" { sub(/^ +/, ""); item=item "\n    " $0; next }
  /^$/ { next }
  { if (item != "") print item; item="  * " $0 }
  END { if (item != "") print item; print ""; print " -- " maint "  " stamp }
' CHANGELOG.md | gzip -9n > "$doc/changelog.gz"

# Depends from the libraries the binary links, as dpkg-shlibdeps sees them.
mkdir -p "$work/debian"
printf 'Source: konui\n\nPackage: konui\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -eroot/usr/bin/konui 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
rm -rf "$work/debian"

find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
size=$(du -sk --apparent-size "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
cat > "$root/DEBIAN/control" <<CONTROL
Package: konui
Version: ${version}
Section: devel
Priority: optional
Architecture: ${arch}
Installed-Size: ${size}
Depends: ${depends}
Suggests: gnome-shell-extension-appindicator, notification-daemon
Maintainer: ${maintainer}
Homepage: ${homepage}
Description: desktop console for Claude Code sessions
 Konui drives Claude Code sessions from a native window: streamed
 transcripts, tool approvals, a Stop that stops, and kontasks (task cards
 the agent delivers) announced by desktop notifications and a tray icon.
 .
 It needs the Claude Code CLI (installed with npm or Anthropic's installer),
 which it finds on PATH, under ~/.claude/local, npm's global prefix, nvm's
 current Node or ~/.local/bin. The tray icon needs a StatusNotifier host
 (on GNOME, the AppIndicator extension).
CONTROL
out="bin/konui_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "package: $out"
