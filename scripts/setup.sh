#!/usr/bin/env bash
# Installs everything tether's build and tests need on a fresh Debian 12 machine (run as root,
# or with sudo available): Debian packages for the real test peers, the pinned deno and bun from
# the npm registry, and the npm dependencies from deno.lock. Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# Real peers for tests and figures (see README "Tests"):
# sway + foot (headless Wayland), i3 + xterm + Xvfb (X11), kitty (+ EGL for Wayland clients),
# socat (cleanup baseline), hyperfine (benchmarks), systemd (systemd-analyze verify), wtype
# (a virtual keyboard in headless sway), debootstrap (scripts/peers.sh's sid root).
# For scripts/install.sh's tests: zsh, fish and man-db/groff (the shells and man find the
# installed files), nix-bin (nix-instantiate evaluates the home-manager module); zsh, fish and
# tmux also for the completion tests (real TAB presses in a real terminal).
APT_PACKAGES=(
  sway foot i3-wm xvfb xterm x11-utils kitty libwayland-egl1 libegl1 libgl1-mesa-dri wtype
  socat hyperfine systemd procps psmisc bash-completion time python3 debootstrap
  zsh fish tmux man-db groff-base nix-bin
)
# npm fetches the pinned deno and bun; a machine without Node.js gets Debian's.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

# sway 1.7 refuses to run as root: real-peer tests run sway (and tether next to it) as this
# unprivileged user (compositor-ipc.md §3.1). Fixed uid so socket names are predictable.
TEST_USER=tethertest
if ! id -u "$TEST_USER" >/dev/null 2>&1; then
  say "creating test user $TEST_USER (uid 1500) for headless sway"
  as_root useradd --create-home --uid 1500 --shell /usr/sbin/nologin "$TEST_USER" 2>/dev/null ||
    as_root useradd --create-home --shell /usr/sbin/nologin "$TEST_USER"
else
  say "test user $TEST_USER present"
fi

# The second real-peer set: current kitty, sway and i3 in a Debian sid root (README "Tests").
# A root that cannot be made fails setup, and so the test run: never a silent skip.
bash scripts/peers.sh || { say "the sid peer root could not be made (scripts/peers.sh)"; exit 1; }

if [ ! -x tools/node_modules/@deno/linux-x64-glibc/deno ] ||
  [ ! -x tools/node_modules/@oven/bun-linux-x64/bin/bun ]; then
  say "installing pinned deno and bun (npm ci --prefix tools, from tools/package-lock.json)"
  # --ignore-scripts: the real binaries ship inside the platform packages (only the linux-x64
  # ones are installed here); no postinstall is needed and none may rewrite anything.
  npm ci --prefix tools --ignore-scripts --no-audit --no-fund --loglevel=error
else
  say "deno $(tools/node_modules/@deno/linux-x64-glibc/deno --version | head -1 | cut -d' ' -f2) and bun $(tools/node_modules/@oven/bun-linux-x64/bin/bun --version) present"
fi

# shellcheck source=scripts/env.sh
. scripts/env.sh
if [ ! -d node_modules/commander ] || [ deno.lock -nt node_modules/.deno/.setup-stamp ]; then
  say "installing npm dependencies pinned in deno.lock into node_modules/"
  "$DENO" install --frozen --quiet
  touch node_modules/.deno/.setup-stamp
else
  say "npm dependencies present"
fi
say "done"
