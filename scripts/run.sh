#!/usr/bin/env bash
# Runs konui: the desktop window when a display is available, otherwise the
# dashboard for a browser ("konui serve"), saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x bin/konui-desktop ]; then
  exec bin/konui-desktop "$@"
fi
echo "run: no display found (DISPLAY and WAYLAND_DISPLAY are unset): starting \"konui serve\" for a browser instead"
exec bin/konui serve "$@"
