#!/usr/bin/env bash
# Conbus figures in one run, against the FAKE bridge (tests/fakes/conbus_bridge.ts — no real
# bridge exists here) with zero reply delay:
#  1. in-process reads (conbus_bench.ts, under Deno and under Bun — the compiled dist/tether
#     runs on Bun): through the shared pool vs a raw socket (split + decode), a bare raw socket,
#     a raw socket plus the pooled path's measured extra work, and a new connection per read;
#     `rounds` interleaved rounds of `reads` reads per side, medians; the pooled path's overhead
#     over the raw round trip (target <= 10%);
#  2. a shell loop of `tether conbus send` (dist/tether) via `serve` vs `--direct`.
# Usage: scripts/bench/conbus.sh [reads per round (1000)] [shell loop iterations (200)] [rounds (9)]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
reads="${1:-1000}"
loops="${2:-200}"
rounds="${3:-9}"
[ -x dist/tether ] || bash scripts/build.sh compile
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

start_fake() { # $1 = output file, rest = extra args; not in $(…): pids must reach cleanup
  local out="$1"
  shift
  "$DENO" run -A --no-check tests/fakes/conbus_bridge_main.ts --delay-ms 0,0 "$@" >"$out" </dev/null &
  pids+=("$!")
  for _ in $(seq 1 100); do
    grep -q port "$out" 2>/dev/null && break
    sleep 0.1
  done
}
port_of() { sed -E 's/.*"port":([0-9]+).*/\1/' "$1"; }

start_fake "$work/single.json"
start_fake "$work/multi.json" --multi-client
single_port="$(port_of "$work/single.json")"
multi_port="$(port_of "$work/multi.json")"

for runtime in deno bun; do
  echo "== in-process ($runtime): $rounds rounds x $reads reads per side"
  if [ "$runtime" = deno ]; then
    "$DENO" run -A --no-check scripts/bench/conbus_bench.ts "$multi_port" "$reads" "$rounds"
  else
    "$BUN" run scripts/bench/conbus_bench.ts "$multi_port" "$reads" "$rounds"
  fi
done

export XDG_RUNTIME_DIR="$work/run"
mkdir -m 0700 "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME="$work/config" TETHER_CONBUS_HOST=127.0.0.1 TETHER_CONBUS_PORT="$single_port"

loop() { # $@ = extra send flags
  local start end
  start=$(date +%s%N)
  for _ in $(seq 1 "$loops"); do
    dist/tether conbus send "$@" S0020044964F02D12 >/dev/null
  done
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

dist/tether conbus serve --min-gap-ms 0 &
serve_pid=$!
pids+=("$serve_pid")
for _ in $(seq 1 100); do [ -S "$XDG_RUNTIME_DIR/tether/conbus.sock" ] && break; sleep 0.1; done
sleep 0.5
via_serve_ms="$(loop)"
kill -TERM "$serve_pid"
wait "$serve_pid" || true
sleep 0.3
direct_ms="$(loop --direct)"

echo "== shell loop: $loops x \`tether conbus send\`"
awk -v s="$via_serve_ms" -v d="$direct_ms" -v n="$loops" 'BEGIN {
  printf "via serve: %d ms (%.2f ms/send)\n--direct:  %d ms (%.2f ms/send)\nratio direct/serve: %.2f\n", s, s / n, d, d / n, d / s
}'
