#!/usr/bin/env bash
# Builds tether. Modes:
#   bundle        dist/bundle/main.js (deno bundle: ESM, npm deps inlined), plus one chunk per
#                 lazily imported part (each subcommand's implementation, commander): started
#                 with `bun dist/bundle/main.js` or `deno run -A dist/bundle/main.js`
#   compile       dist/tether: bundle, then `bun build --compile --bytecode` of the chunks into
#                 one offline binary that still loads each chunk only when imported (default)
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
  rm -rf dist/bundle
  "$DENO" bundle --quiet --platform deno --code-splitting --outdir dist/bundle main.ts
  local commit files
  commit=$(build_commit)
  files=$(grep -l "__TETHER_BUILD_COMMIT__" dist/bundle/*.js || true)
  if [ "$(grep -ho "__TETHER_BUILD_COMMIT__" dist/bundle/*.js | wc -l)" != 1 ]; then
    echo "build.sh: expected the commit placeholder once in the bundle, found it in: $files" >&2
    exit 1
  fi
  sed -i "s/__TETHER_BUILD_COMMIT__/$commit/" $files
}
case "$mode" in
  bundle) bundle ;;
  compile)
    bundle
    # ESM with --splitting keeps the chunks apart inside the binary, each read only when
    # imported; CommonJS (bytecode's default) cannot split, so every chunk would load at start.
    "$BUN" build --compile --bytecode --format esm --splitting dist/bundle/main.js --outfile dist/tether >/dev/null
    ;;
  compile-deno)
    "$DENO" compile --quiet --allow-all --no-check -o dist/tether-deno main.ts
    ;;
  *)
    echo "build.sh: unknown mode '$mode' (bundle | compile | compile-deno)" >&2
    exit 2
    ;;
esac
