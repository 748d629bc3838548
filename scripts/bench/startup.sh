#!/usr/bin/env bash
# Startup figure (README "Figures"): median wall time of `dist/tether --version` against
# `deno run main.ts --version`, measured in the same hyperfine run, as a ratio; plus peak RSS
# (GNU time) of each. For scale, the same run also times the floor of the runtime: a
# hello-world compiled the same way (`bun build --compile --bytecode`), and one that only loads
# commander, the CLI library every tether command parses its arguments with.
# Builds dist/tether first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
[ -x dist/tether ] || bash scripts/build.sh compile
work="$(mktemp -d)"
# deno bundle resolves the npm import through deno.json, so the probe file sits in the repo.
probe="$TETHER_ROOT/.startup-commander.ts"
trap 'rm -rf "$work" "$probe"' EXIT
json="$work/hyperfine.json"
echo 'console.log("hello");' >"$work/hello.js"
printf 'import { Command } from "@commander-js/extra-typings";\nconsole.log(typeof Command);\n' \
  >"$probe"
"$DENO" bundle --quiet --platform deno -o "$work/commander.js" "$probe"
for name in hello commander; do
  "$BUN" build --compile --bytecode "$work/$name.js" --outfile "$work/$name" >/dev/null
done
deno_cmd="$DENO run --allow-all --no-check main.ts --version"
"$DENO" cache --quiet main.ts
hyperfine --style none --warmup 5 --runs "${RUNS:-40}" --export-json "$json" \
  -n binary "dist/tether --version" -n deno-run "$deno_cmd" \
  -n hello "$work/hello" -n commander-only "$work/commander" >/dev/null
rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
python3 - "$json" "$(rss_kb dist/tether --version)" "$(rss_kb $deno_cmd)" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
ms = {name: r["median"] * 1000 for name, r in results.items()}
b_ms, d_ms = ms["binary"], ms["deno-run"]
print(f"startup  dist/tether --version  median {b_ms:.1f} ms  peak RSS {int(sys.argv[2]) / 1024:.1f} MiB")
print(f"startup  deno run main.ts       median {d_ms:.1f} ms  peak RSS {int(sys.argv[3]) / 1024:.1f} MiB")
print(f"startup  floor: bun hello-world {ms['hello']:.1f} ms, commander only {ms['commander-only']:.1f} ms")
ratio = d_ms / b_ms
met = ratio >= 3 and b_ms <= 30
print(f"startup  ratio deno-run / binary: {ratio:.1f}x  (target >= 3x, binary <= 30 ms: {'met' if met else 'missed'})")
PY
