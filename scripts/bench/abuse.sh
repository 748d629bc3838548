#!/usr/bin/env bash
# Abuse figures for README "Reliability": `tether conbus serve` under floods (see abuse.ts).
# Usage: scripts/bench/abuse.sh [idle connections (18000)]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
[ -n "${TETHER_BIN:-}" ] || [ -x dist/tether ] || bash scripts/build.sh compile
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec "$DENO" run -A --no-check scripts/bench/abuse.ts "$@"
