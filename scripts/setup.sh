#!/usr/bin/env bash
# Installs everything konui needs to build, run and test on Debian 12:
# system packages (only those missing; lintian, appstream, librsvg2-bin and
# x11-utils build and test the Debian package; systemd's systemd-analyze checks the unit of
# konui konsole --install-service; openssh-server is the sshd the SSH tunnel tests start on
# 127.0.0.1, never as a service; qemu-user runs the linux/arm64 build, zip, unzip and curl pack and check the
# release archives of make dist), the pinned Claude Code CLI for the
# tests under .tools/claude, the frontend's npm packages and the Go modules.
# Safe to run again: each step does nothing when its work is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev xvfb xauth dbus dbus-x11
  chromium imagemagick at-spi2-core x11-utils
  dpkg-dev lintian appstream librsvg2-bin man-db systemd openssh-client openssh-server
  qemu-user zip unzip curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Installing openssh-server enables and starts sshd on port 22 (where no
  # policy-rc.d stops it, as in containers): the tests start their own, so
  # one installed here for them is switched off again.
  if [[ " ${missing[*]} " == *" openssh-server "* ]] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now ssh.service >/dev/null 2>&1 || true
    echo "setup: openssh-server is installed for the tests only, its service is off (\"sudo systemctl enable --now ssh\" turns it on)"
  fi
fi

command -v go >/dev/null || { echo "setup: Go is required (https://go.dev/dl)"; exit 1; }
command -v npm >/dev/null || { echo "setup: Node.js and npm are required"; exit 1; }

npm_install() { # folder
  local dir=$1 stamp=$1/node_modules/.konui-lock
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then return; fi
  echo "setup: npm ci in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$dir/package-lock.json" "$stamp"
}
npm_install .tools/claude
[ -f frontend/package.json ] && npm_install frontend
go mod download
echo "setup: done"
