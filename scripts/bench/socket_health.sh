#!/usr/bin/env bash
# Figures for `tether socket-health` (README "tether socket-health"), against real headless
# sway 1.7 run as the unprivileged test user (scripts/setup.sh creates it; sway 1.7 refuses
# root), tether (dist/tether) running as the same user:
#  1. a full probe of 10 sockets, one of them hung (SIGSTOPped sway): wall time vs the 1 s
#     timeout (target <= timeout + 50 ms);
#  2. a single healthy probe (`--path`), wall time including process start (target <= 100 ms).
# Usage: scripts/bench/socket_health.sh [runs (10)]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
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
measure() { # $1 = label, rest = command
  local label="$1"
  shift
  rm -f "$json"
  as_user hyperfine --style none --ignore-failure --warmup 2 --runs "$runs" \
    --export-json "$json" "$*" >/dev/null 2>&1 || true
  awk -v label="$label" '
    /"mean"/ { gsub(/[",]/, ""); mean = $2 }
    /"median"/ { gsub(/[",]/, ""); median = $2 }
    /"max"/ { gsub(/[",]/, ""); max = $2 }
    END { printf "  %s: mean %.1f ms, median %.1f ms, max %.1f ms\n", label, mean * 1000, median * 1000, max * 1000 }
  ' "$json"
}

echo "socket-health against 10 real sway sockets (one SIGSTOPped), $runs runs each"
bin="$PWD/dist/tether"
measure "10 sockets, 1 hung, --timeout 1" "$bin socket-health --timeout 1"
measure "1 healthy socket (--path), incl. process start" "$bin socket-health --path ${sockets[1]}"
as_user "$bin" socket-health --timeout 1 | sed 's/^/    /' || true
