# Sourced by the other scripts: where the pinned toolchain lives and where deno keeps its cache
# (outside the repository, so a clone stays clean).
TETHER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export TETHER_ROOT
export DENO="$TETHER_ROOT/tools/node_modules/@deno/linux-x64-glibc/deno"
export BUN="$TETHER_ROOT/tools/node_modules/@oven/bun-linux-x64/bin/bun"
export DENO_DIR="${DENO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tether-deno}"
export DENO_NO_UPDATE_CHECK=1
export NO_COLOR=1
