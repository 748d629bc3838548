#!/usr/bin/env bash
# Figure for `tether cleanup` (README "tether cleanup"): a temporary 0700 runtime dir with
# N stale sway sockets (made by SIGKILLing the process that listened on them) and M live ones.
# tether (dist/tether) vs a bash baseline doing what the original sway-socket-cleanup script did
# per socket, plus the connect attempt it lacked: parse the PID from the name, `kill -0`, and a
# connect attempt through socat; remove when both say dead. Both must remove exactly the N stale
# files and keep the M live ones. Ratio from one run. Targets (issue 3): >= 10x faster than the
# baseline and <= 1 s for tether; the last lines say whether this run met them (the exit code
# says only whether both left exactly the live sockets).
# Usage: scripts/bench/cleanup.sh [stale (10000)] [live (100)]
# TETHER_ONLY=N: skip the 100-400 s baseline and run tether N times (for iterating on speed;
# figures for the README come from full runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
stale="${1:-10000}"
live="${2:-100}"
tether="${TETHER_BIN:-dist/tether}"
[ -n "${TETHER_BIN:-}" ] || [ -x dist/tether ] || bash scripts/build.sh compile
ulimit -n "$(( (stale < 10000 ? stale : 10000) + live + 1024 ))" 2>/dev/null || true
uid="$(id -u)"
rt="$(mktemp -d)"
chmod 0700 "$rt"
holder_pid=""
finish() {
  [ -n "$holder_pid" ] && kill "$holder_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$rt"
}
trap finish EXIT

# PIDs above pid_max can never be alive: the names carry dead PIDs, as after a crash.
dead_pid_base=5000000
names() { # $1 first index, $2 count
  seq "$1" "$(( $1 + $2 - 1 ))" | sed "s|.*|$rt/sway-ipc.$uid.&.sock|"
}
hold() { # paths on stdin; prints the holder's PID once it listens on all of them
  local fifo="$rt/.ready"
  mkfifo "$fifo"
  "$DENO" run -A --no-check scripts/bench/socket_holder.ts >"$fifo" &
  local pid=$!
  read -r _ <"$fifo"
  rm -f "$fifo"
  echo "$pid"
}
make_stale() {
  # In batches of 10,000: one holder may not have more descriptors than the hard limit allows.
  local pid first
  for (( first = 0; first < stale; first += 10000 )); do
    pid="$(names $(( dead_pid_base + first )) $(( stale - first < 10000 ? stale - first : 10000 )) | hold)"
    kill -9 "$pid"
    # Not our child (it ran in a command substitution): poll until it is gone, else the first
    # sockets still have a listener when the measurement starts.
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  done
}
count() { find "$rt" -maxdepth 1 -name 'sway-ipc.*.sock' -type s | wc -l; }

# Live sockets: names with dead PIDs too (a live socket whose name lies), held open throughout.
holder_pid="$(names $(( dead_pid_base + stale )) "$live" | hold)"

now_ns() { date +%s%N; }

target_ms=1000
target_ratio=10
verdict() { if [ "$1" = 1 ]; then echo "target met"; else echo "target missed"; fi; }
run_tether() { # sets tether_ms and left_tether
  make_stale
  [ "$(count)" -eq $(( stale + live )) ] || { echo "setup failed: $(count) sockets" >&2; exit 1; }
  local t0 t1
  t0="$(now_ns)"
  if [ -x /usr/bin/time ]; then
    XDG_RUNTIME_DIR="$rt" /usr/bin/time -f %M -o "$rt/.peak_kb" "$tether" cleanup >/dev/null
  else
    XDG_RUNTIME_DIR="$rt" "$tether" cleanup >/dev/null
  fi
  t1="$(now_ns)"
  tether_ms=$(( (t1 - t0) / 1000000 ))
  peak_mb="$( [ -f "$rt/.peak_kb" ] && echo "$(( $(cat "$rt/.peak_kb") / 1024 )) MB" || echo "?")"
  rm -f "$rt/.peak_kb"
  left_tether="$(count)"
}
check_left() { # $1 = what, $2 = sockets left
  [ "$2" -eq "$live" ] && return 0
  echo "FAILED: $1 left $2 sockets, expected the $live live ones; extra files:" >&2
  for socket in "$rt"/sway-ipc.*.sock; do
    pid="$(basename "$socket" | cut -d. -f3)"
    [ "$pid" -lt $(( dead_pid_base + stale )) ] && ls -l "$socket" >&2
  done
  exit 1
}

if [ -n "${TETHER_ONLY:-}" ]; then
  echo "cleanup of $stale stale + $live live sockets, tether only, $TETHER_ONLY runs"
  for _ in $(seq "$TETHER_ONLY"); do
    run_tether
    check_left tether "$left_tether"
    echo "  tether cleanup (dist/tether): ${tether_ms} ms, peak RSS $peak_mb, left $left_tether:" \
      "<= ${target_ms} ms $(verdict $(( tether_ms <= target_ms )))"
  done
  exit 0
fi

run_tether

make_stale
t2="$(now_ns)"
for socket in "$rt"/sway-ipc.*.sock; do
  [ -e "$socket" ] || continue
  pid="$(basename "$socket" | cut -d. -f3)"
  if ! kill -0 "$pid" 2>/dev/null; then
    if ! socat -u /dev/null "UNIX-CONNECT:$socket" 2>/dev/null; then
      rm -f "$socket"
    fi
  fi
done
t3="$(now_ns)"
left_bash="$(count)"

bash_ms=$(( (t3 - t2) / 1000000 ))
echo "cleanup of $stale stale + $live live sockets"
echo "  tether cleanup (dist/tether): ${tether_ms} ms, peak RSS $peak_mb, left $left_tether"
echo "  bash baseline (cut, kill -0, socat): ${bash_ms} ms, left $left_bash"
awk -v b="$bash_ms" -v t="$tether_ms" 'BEGIN { printf "  ratio: %.1fx faster\n", b / (t > 0 ? t : 1) }'
check_left tether "$left_tether"
check_left bash "$left_bash"
echo "  >= ${target_ratio}x faster than the baseline: $(verdict $(( bash_ms >= target_ratio * tether_ms )))"
echo "  <= ${target_ms} ms for tether: $(verdict $(( tether_ms <= target_ms )))"
