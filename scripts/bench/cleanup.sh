#!/usr/bin/env bash
# Figure for `tether cleanup` (README "tether cleanup"): a temporary 0700 runtime dir with
# N stale sway sockets (made by SIGKILLing the process that listened on them) and M live ones.
# tether (dist/tether) vs a bash baseline doing what the original sway-socket-cleanup script did
# per socket, plus the connect attempt it lacked: parse the PID from the name, `kill -0`, and a
# connect attempt through socat; remove when both say dead. Both must remove exactly the N stale
# files and keep the M live ones. Ratio from one run.
# Usage: scripts/bench/cleanup.sh [stale (10000)] [live (100)]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
stale="${1:-10000}"
live="${2:-100}"
[ -x dist/tether ] || bash scripts/build.sh compile
ulimit -n "$(( stale + live + 1024 ))" 2>/dev/null || true
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
  local pid
  pid="$(names "$dead_pid_base" "$stale" | hold)"
  kill -9 "$pid"
  # Not our child (it ran in a command substitution): poll until it is gone, else the first
  # sockets still have a listener when the measurement starts.
  while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
}
count() { find "$rt" -maxdepth 1 -name 'sway-ipc.*.sock' -type s | wc -l; }

# Live sockets: names with dead PIDs too (a live socket whose name lies), held open throughout.
holder_pid="$(names $(( dead_pid_base + stale )) "$live" | hold)"

now_ns() { date +%s%N; }

make_stale
[ "$(count)" -eq $(( stale + live )) ] || { echo "setup failed: $(count) sockets" >&2; exit 1; }
t0="$(now_ns)"
XDG_RUNTIME_DIR="$rt" dist/tether cleanup >/dev/null
t1="$(now_ns)"
left_tether="$(count)"

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

tether_ms=$(( (t1 - t0) / 1000000 ))
bash_ms=$(( (t3 - t2) / 1000000 ))
echo "cleanup of $stale stale + $live live sockets"
echo "  tether cleanup (dist/tether): ${tether_ms} ms, left $left_tether"
echo "  bash baseline (cut, kill -0, socat): ${bash_ms} ms, left $left_bash"
awk -v b="$bash_ms" -v t="$tether_ms" 'BEGIN { printf "  ratio: %.1fx faster\n", b / (t > 0 ? t : 1) }'
if [ "$left_tether" -ne "$live" ] || [ "$left_bash" -ne "$live" ]; then
  echo "FAILED: expected $live live sockets left; extra files:" >&2
  for socket in "$rt"/sway-ipc.*.sock; do
    pid="$(basename "$socket" | cut -d. -f3)"
    [ "$pid" -lt $(( dead_pid_base + stale )) ] && ls -l "$socket" >&2
  done
  exit 1
fi
