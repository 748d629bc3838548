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
# The commit `tether --version` reports, written over the placeholder in src/cli/version.ts
# ("-dirty" when the work tree has uncommitted changes; "unknown" outside a git checkout).
build_commit() {
  local commit
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null) || { echo unknown; return; }
  [ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit-dirty"
  echo "$commit"
}
bundle() {
  "$DENO" bundle --quiet --platform deno -o dist/tether.bundle.js main.ts
  local commit count
  commit=$(build_commit)
  count=$(grep -c "__TETHER_BUILD_COMMIT__" dist/tether.bundle.js || true)
  if [ "$count" != 1 ]; then
    echo "build.sh: expected the commit placeholder once in the bundle, found it $count times" >&2
    exit 1
  fi
  sed -i "s/__TETHER_BUILD_COMMIT__/$commit/" dist/tether.bundle.js
}
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
