#!/usr/bin/env bash
# Startup figure (README "Figures"): median wall time of `dist/tether --version` against
# `deno run main.ts --version`, measured in the same hyperfine run, as a ratio; plus peak RSS
# (GNU time) of each. Builds dist/tether first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
[ -x dist/tether ] || bash scripts/build.sh compile
json="$(mktemp)"
trap 'rm -f "$json"' EXIT
deno_cmd="$DENO run --allow-all --no-check main.ts --version"
"$DENO" cache --quiet main.ts
hyperfine --style none --warmup 5 --runs "${RUNS:-40}" --export-json "$json" \
  -n binary "dist/tether --version" -n deno-run "$deno_cmd" >/dev/null
rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
python3 - "$json" "$(rss_kb dist/tether --version)" "$(rss_kb $deno_cmd)" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
binary, deno = results["binary"], results["deno-run"]
b_ms, d_ms = binary["median"] * 1000, deno["median"] * 1000
print(f"startup  dist/tether --version  median {b_ms:.1f} ms  peak RSS {int(sys.argv[2]) / 1024:.1f} MiB")
print(f"startup  deno run main.ts       median {d_ms:.1f} ms  peak RSS {int(sys.argv[3]) / 1024:.1f} MiB")
ratio = d_ms / b_ms
met = ratio >= 3 and b_ms <= 30
print(f"startup  ratio deno-run / binary: {ratio:.1f}x  (target >= 3x, binary <= 30 ms: {'met' if met else 'missed'})")
PY
