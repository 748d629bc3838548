#!/usr/bin/env bash
# Figures for `tether socket-health` (README "tether socket-health"), against real headless
# sway 1.7 run as the unprivileged test user (scripts/setup.sh creates it; sway 1.7 refuses
# root), tether (dist/tether) running as the same user:
#  1. a full probe of 10 sockets, one of them hung (SIGSTOPped sway): wall time vs the 1 s
#     timeout (target <= timeout + 50 ms);
#  2. a single healthy probe (`--path`), wall time including process start (target <= 100 ms).
# Each figure ends with "target met" (every run within the target) or "target missed" (how
# many runs were over); the exit code does not depend on it.
# Usage: scripts/bench/socket_health.sh [runs (10)]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
runs="${1:-10}"
user=tethertest
[ -x dist/tether ] || bash scripts/build.sh compile
rt="$(mktemp -d)"
chown "$user:$user" "$rt"
chmod 0700 "$rt"
printf 'output HEADLESS-1 resolution 1280x720\nxwayland disable\n' >"$rt/sway.conf"
chmod 0644 "$rt/sway.conf"
runuser_pids=()
finish() {
  for pid in $(find "$rt" -maxdepth 1 -name 'sway-ipc.*.sock' | sed -E 's/.*\.([0-9]+)\.sock$/\1/'); do
    kill -CONT "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${runuser_pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$rt"
}
trap finish EXIT
as_user() { runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="/home/$user" XDG_RUNTIME_DIR="$rt" "$@"; }

for _ in $(seq 10); do
  as_user WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
    sway -c "$rt/sway.conf" >/dev/null 2>&1 &
  runuser_pids+=("$!")
done
for _ in $(seq 200); do
  [ "$(find "$rt" -maxdepth 1 -name 'sway-ipc.*.sock' | wc -l)" -eq 10 ] && break
  sleep 0.05
done
mapfile -t sockets < <(find "$rt" -maxdepth 1 -name 'sway-ipc.*.sock' | sort)
[ "${#sockets[@]}" -eq 10 ] || { echo "only ${#sockets[@]} of 10 sways started" >&2; exit 1; }
for socket in "${sockets[@]}"; do
  until as_user swaymsg -s "$socket" -t get_version >/dev/null 2>&1; do sleep 0.05; done
done
hung_pid="$(sed -E 's/.*\.([0-9]+)\.sock$/\1/' <<<"${sockets[0]}")"
kill -STOP "$hung_pid"

json="$rt/hyperfine.json"
verdict() { # $1 = target ms, then sample ms values
  local target="$1"
  shift
  awk -v target="$target" 'BEGIN {
    over = 0
    for (i = 1; i < ARGC; i++) if (ARGV[i] + 0 > target) over++
    if (over == 0) printf "<= %d ms: target met\n", target
    else printf "<= %d ms: target missed (%d of %d runs over)\n", target, over, ARGC - 1
  }' "$@"
}
measure() { # $1 = label, $2 = target ms, $3 = prepare command ("" for none), rest = command
  local label="$1" target="$2" prepare="$3"
  shift 3
  rm -f "$json"
  local args=(--style none --ignore-failure --warmup 1 --runs "$runs" --export-json "$json")
  [ -n "$prepare" ] && args+=(--prepare "$prepare")
  as_user hyperfine "${args[@]}" "$*" >/dev/null 2>&1 || true
  local stats
  stats="$(python3 -c '
import json, statistics, sys
times = [t * 1000 for t in json.load(open(sys.argv[1]))["results"][0]["times"]]
print(f"{statistics.mean(times):.1f} {statistics.median(times):.1f} {max(times):.1f}", *times)
' "$json")"
  read -r mean median max samples <<<"$stats"
  # shellcheck disable=SC2086 # the samples are numbers, one word each
  echo "  $label: mean $mean ms, median $median ms, max $max ms; $(verdict "$target" $samples)"
}
in_process() { # the probe round as tether itself measures it (no process start)
  { as_user "$bin" --log-level debug socket-health --timeout 1 2>&1 >/dev/null || true; } |
    sed -n 's/.*probed \([0-9]*\) sockets in \([0-9.]*\) ms.*/\2/p'
}

bin="$PWD/dist/tether"
echo "socket-health against 10 real sway sockets, one SIGSTOPped; --timeout 1; $runs runs each"
# A stopped sway still completes connects into its backlog (3 deep) and never answers. Between
# runs, let it drain its backlog (SIGCONT, then SIGSTOP again) so every run meets the
# "accepts, never answers" case rather than a full backlog.
drain="kill -CONT $hung_pid; sleep 0.3; kill -STOP $hung_pid; sleep 0.05"
measure "10 sockets, 1 hung (accepts, never answers), wall incl. process start" 1050 "$drain" \
  "$bin socket-health --timeout 1"
samples=()
for _ in $(seq 5); do
  kill -CONT "$hung_pid"; sleep 0.3; kill -STOP "$hung_pid"; sleep 0.05
  samples+=("$(in_process)")
done
echo "  same, discovery + probe round in process (5 runs): ${samples[*]} ms;" \
  "$(verdict 1050 "${samples[@]}")"
for _ in $(seq 5); do as_user "$bin" socket-health --timeout 1 >/dev/null 2>&1 || true; done
measure "10 sockets, 1 hung with a full backlog, wall incl. process start" 1050 "" \
  "$bin socket-health --timeout 1"
kill -CONT "$hung_pid"
measure "1 healthy socket (--path), wall incl. process start" 100 "" \
  "$bin socket-health --path ${sockets[1]}"
