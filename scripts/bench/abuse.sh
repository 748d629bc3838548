#!/usr/bin/env bash
# Abuse figures for README "Reliability": `tether conbus serve` and `tether focus` under floods
# (see abuse.ts): status answered and its latency, RSS before, at peak, 3 s and 10 s after.
# Usage: scripts/bench/abuse.sh [idle connections (18000)]
#   ABUSE_TARGETS=serve,focus (default both), ABUSE_PHASES=pipeline,idle,churn,bridge (default all)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
[ -n "${TETHER_BIN:-}" ] || [ -x dist/tether ] || bash scripts/build.sh compile
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
for target in $(echo "${ABUSE_TARGETS:-serve,focus}" | tr , " "); do
  "$DENO" run -A --no-check scripts/bench/abuse.ts "${1:-18000}" "$target"
done
