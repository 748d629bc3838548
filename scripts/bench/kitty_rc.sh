#!/usr/bin/env bash
# Figures for README "kitty remote control": one set-font-size on a real password-mode kitty
# under Xvfb, through tether's registry vs a `kitty @ --to unix:… set-font-size` subprocess
# (see scripts/bench/kitty_rc.ts). Arguments pass through: [registryRuns=50] [subprocessRuns=10].
# Needs the packages from scripts/setup.sh (kitty, Xvfb).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
"$DENO" run --allow-all --no-check scripts/bench/kitty_rc.ts "$@"
