#!/usr/bin/env bash
# The main job, end to end: starts a sandbox (headless sway + three kitties, all as the
# unprivileged test user from scripts/setup.sh), runs `tether focus`, moves focus a few times,
# and prints tether's JSON lines and each kitty's size (columns x lines, from kitty's own `ls`)
# before and after, once per peer set (Debian 12, then the sid root; TETHER_PEER_SETS=sid picks
# one). Cleans up everything it started, by PID. Run as root after setup:
#   bash scripts/setup.sh && bash scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
[ -x dist/tether ] || bash scripts/build.sh compile
exec "$DENO" run --allow-all --no-check scripts/demo.ts
