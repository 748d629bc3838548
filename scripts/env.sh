# Source this (`. scripts/env.sh`) to put the pinned deno and bun on PATH for this shell; the
# other scripts source it too. Sets $DENO and $BUN, and keeps deno's cache outside the
# repository (a clone stays clean). It does not touch colour settings (scripts that parse
# output set NO_COLOR themselves). Sourcing it twice adds nothing twice.
TETHER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export TETHER_ROOT
export DENO="$TETHER_ROOT/tools/node_modules/@deno/linux-x64-glibc/deno"
export BUN="$TETHER_ROOT/tools/node_modules/@oven/bun-linux-x64/bin/bun"
export DENO_DIR="${DENO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tether-deno}"
export DENO_NO_UPDATE_CHECK=1
for tether_tool_dir in "$(dirname "$BUN")" "$(dirname "$DENO")"; do
  case ":$PATH:" in
    *":$tether_tool_dir:"*) ;;
    *) PATH="$tether_tool_dir:$PATH" ;;
  esac
done
unset tether_tool_dir
export PATH
