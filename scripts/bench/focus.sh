#!/usr/bin/env bash
# Figures for README "tether focus", measured in one run (see scripts/bench/focus_bench.ts):
# focus event -> font change acknowledged (tether vs 3 x `kitty @ set-font-size`, kitty in
# password and in socket-only mode, for both peer sets' kitty — Debian 12's 0.26.5, not pooled,
# and sid's current one, pooled — each saying whether tether pools it), coalesced vs separate
# commands, p50/p99 over 200 switches,
# tracker RSS over 10,000 focus events with the <= 60 MB and flatness targets met or missed;
# then a move between two OS windows of one kitty next to one between two kitties (real i3,
# scripts/bench/focus_os_windows.ts). Needs the packages from scripts/setup.sh (kitty, Xvfb, the sid peer root) and builds
# dist/tether first. Starts real peers: run it under `flock /tmp/tether-realpeers.lock`.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
bash scripts/build.sh compile
TETHER_BIN="$TETHER_ROOT/dist/tether" "$DENO" run --allow-all --no-check scripts/bench/focus_bench.ts
# Focus moves between two OS windows of one kitty vs between two kitties, on real i3, per peer
# set (needs the sid root from scripts/peers.sh for the second set; TETHER_PEER_SETS narrows).
TETHER_BIN="$TETHER_ROOT/dist/tether" "$DENO" run --allow-all --no-check \
  scripts/bench/focus_os_windows.ts
