#!/usr/bin/env bash
# Creates the "sid" real-peer set: a Debian sid root (debootstrap --variant=minbase) holding
# current kitty, sway, i3, foot, Xvfb, mesa and wtype, which the tests run through
# `chroot --userspec` next to the host's Debian 12 set (README "Tests"). Idempotent: an existing
# root younger than a week is only checked; `--force` (or a root older than a week, or one whose
# package set changed) makes it anew. Uses the Debian archive apt already uses, nothing else.
#
#   scripts/peers.sh [--force]        TETHER_PEERS_DIR overrides /var/cache/tether-peers
#
# Prints the versions it found, one `peers: sid <name> <version>` line each, and exits non-zero
# (loudly) when the root cannot be made: the tests never skip a missing peer set.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'peers: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

PEERS_DIR="${TETHER_PEERS_DIR:-/var/cache/tether-peers}"
ROOT="$PEERS_DIR/sid"
MAX_AGE_DAYS=7
# What the sid set needs: the three peers, Xvfb for kitty/i3, mesa + EGL for kitty as a Wayland
# client, wtype for a virtual keyboard in headless sway, procps/python3 for the harness.
PACKAGES=(
  kitty sway i3-wm foot xvfb xterm x11-utils libgl1-mesa-dri libegl1 libwayland-egl1 wtype
  procps python3 ca-certificates
)
STAMP="$ROOT/.tether-peers"
wanted_stamp="packages: ${PACKAGES[*]}"

force=0
[ "${1:-}" = "--force" ] && force=1

mirror() {
  # The first deb URI apt uses on this machine (deb822 or one-line format).
  local uri
  uri="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security |
    head -1 | awk '{print $2}')"
  [ -n "$uri" ] || uri="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
    2>/dev/null | grep -v security | head -1 | awk '{print $2}')"
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

fresh() {
  [ -f "$STAMP" ] || return 1
  [ "$(sed -n 1p "$STAMP")" = "$wanted_stamp" ] || return 1
  [ -z "$(find "$STAMP" -mtime +"$MAX_AGE_DAYS" 2>/dev/null)" ] || return 1
  for bin in kitty sway i3 Xvfb wtype foot; do
    [ -x "$ROOT/usr/bin/$bin" ] || return 1
  done
}

versions() {
  local kitty sway i3
  kitty="$(chroot "$ROOT" dpkg-query -W -f='${Version}' kitty | sed -E 's/[-+~].*//')"
  sway="$(chroot "$ROOT" dpkg-query -W -f='${Version}' sway | sed -E 's/[-+~].*//')"
  i3="$(chroot "$ROOT" dpkg-query -W -f='${Version}' i3-wm | sed -E 's/[-+~].*//')"
  printf 'peers: sid kitty %s\npeers: sid sway %s\npeers: sid i3 %s\n' "$kitty" "$sway" "$i3"
}

# The tests run peers as the host's unprivileged test user (scripts/setup.sh makes it); kitty
# looks its uid up (getpwuid) and dies without an entry, so the root knows the same user.
share_test_user() {
  local user=tethertest line
  for db in passwd group; do
    line="$(getent "$db" "$user" || true)"
    [ -n "$line" ] || continue
    grep -q "^$user:" "$1/etc/$db" || printf '%s\n' "$line" | as_root tee -a "$1/etc/$db" >/dev/null
  done
}

if [ "$force" -eq 0 ] && fresh; then
  say "sid root present at $ROOT (made $(date -r "$STAMP" +%F))"
  share_test_user "$ROOT"
  versions
  exit 0
fi

command -v debootstrap >/dev/null 2>&1 || {
  say "installing debootstrap"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    debootstrap >/dev/null
}

started=$(date +%s)
uri="$(mirror)"
say "making a Debian sid root at $ROOT from $uri (debootstrap --variant=minbase)"
as_root mkdir -p "$PEERS_DIR"
as_root rm -rf "$ROOT.new"
as_root debootstrap --variant=minbase --include=ca-certificates sid "$ROOT.new" "$uri" \
  >"$PEERS_DIR/debootstrap.log" 2>&1 || {
  say "debootstrap failed; the end of $PEERS_DIR/debootstrap.log:"
  tail -20 "$PEERS_DIR/debootstrap.log" >&2
  exit 1
}
# The archive here is a dated snapshot whose Release files have expired; the host's apt accepts
# them (its own Check-Valid-Until setting), so the root does too, and nothing else changes.
if [ "$(apt-config dump Acquire::Check-Valid-Until 2>/dev/null)" = 'Acquire::Check-Valid-Until "false";' ]; then
  echo 'Acquire::Check-Valid-Until "false";' |
    as_root tee "$ROOT.new/etc/apt/apt.conf.d/10-tether-valid-until" >/dev/null
fi
# Keep the root small and its installs quiet: no docs, no recommends, no daemons started.
as_root tee "$ROOT.new/etc/dpkg/dpkg.cfg.d/01-tether-nodoc" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/info/*
EOF
printf '#!/bin/sh\nexit 101\n' | as_root tee "$ROOT.new/usr/sbin/policy-rc.d" >/dev/null
as_root chmod 0755 "$ROOT.new/usr/sbin/policy-rc.d"
as_root chroot "$ROOT.new" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root chroot "$ROOT.new" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
  --no-install-recommends "${PACKAGES[@]}" >"$PEERS_DIR/apt.log" 2>&1 || {
  say "apt-get install in the sid root failed; the end of $PEERS_DIR/apt.log:"
  tail -20 "$PEERS_DIR/apt.log" >&2
  exit 1
}
as_root chroot "$ROOT.new" apt-get clean
share_test_user "$ROOT.new"
printf '%s\n' "$wanted_stamp" | as_root tee "$ROOT.new/.tether-peers" >/dev/null
as_root rm -rf "$ROOT"
as_root mv "$ROOT.new" "$ROOT"
say "sid root made in $(($(date +%s) - started)) s"
versions
