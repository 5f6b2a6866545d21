#!/usr/bin/env bash
# Runs konui: the desktop window. Without a display, the desktop binary says
# so itself and serves the dashboard for a browser (konui serve) instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x bin/konui-desktop ]; then
  exec bin/konui-desktop "$@"
fi
echo "run: bin/konui-desktop was not built: starting \"konui serve\" for a browser instead"
exec bin/konui serve "$@"
