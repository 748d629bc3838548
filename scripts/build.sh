#!/usr/bin/env bash
# Builds tether. Modes:
#   bundle        dist/tether.bundle.js (deno bundle: one ESM file, npm deps inlined)
#   compile       dist/tether: bundle, then `bun build --compile --bytecode` (offline; default)
#   compile-deno  dist/tether-deno: `deno compile` (downloads denort: needs network access
#                 to Deno's release host, which this workplace does not have)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mode="${1:-compile}"
mkdir -p dist
bundle() { "$DENO" bundle --quiet --platform deno -o dist/tether.bundle.js main.ts; }
case "$mode" in
  bundle) bundle ;;
  compile)
    bundle
    "$BUN" build --compile --bytecode dist/tether.bundle.js --outfile dist/tether >/dev/null
    ;;
  compile-deno)
    "$DENO" compile --quiet --allow-all --no-check -o dist/tether-deno main.ts
    ;;
  *)
    echo "build.sh: unknown mode '$mode' (bundle | compile | compile-deno)" >&2
    exit 2
    ;;
esac
