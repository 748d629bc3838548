#!/usr/bin/env bash
# Race figure for `tether cleanup` (README "Reliability"): rounds x sockets stale sockets with a
# racer renaming decoys over half of them during the cleanup; 0 decoys may be lost.
# Usage: scripts/bench/cleanup_race.sh [rounds (10)] [sockets (2000)] [seed]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
[ -x dist/tether ] || bash scripts/build.sh compile
ulimit -n "$(( ${2:-2000} + 1024 ))" 2>/dev/null || true
exec "$DENO" run -A --no-check scripts/bench/cleanup_race.ts "$@"
