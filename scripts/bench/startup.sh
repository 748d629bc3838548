#!/usr/bin/env bash
# Start-up figure (README "Start-up", issue 13's goal: at most 2x a hello-world): median wall
# time of `dist/tether --version` and of `dist/tether cleanup --dry-run` on an empty runtime
# dir, each divided by the median of a Bun hello-world compiled the same way (build.sh's `bun
# build --compile --bytecode --format esm --splitting`), all in one hyperfine run without a
# shell (-N). For scale it also times a binary that only loads commander, the CLI library every
# command but --version parses its arguments with: the floor of any command that parses.
# The runs are spread over 4 rounds (all four commands in each) and the medians taken over
# all of them, so a change in the machine's load weighs on every command alike.
# RUNS sets the runs per command (default 40). Builds dist/tether first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below
[ -x dist/tether ] || bash scripts/build.sh compile
work="$(mktemp -d)"
# deno bundle resolves the npm import through deno.json, so the probe file sits in the repo.
probe="$TETHER_ROOT/.startup-commander.ts"
trap 'rm -rf "$work" "$probe"' EXIT
echo 'console.log("hello");' >"$work/hello.js"
printf 'import { Command } from "@commander-js/extra-typings";\nconsole.log(typeof Command);\n' \
  >"$probe"
"$DENO" bundle --quiet --platform deno -o "$work/commander.js" "$probe"
for name in hello commander; do
  "$BUN" build --compile --bytecode --format esm --splitting "$work/$name.js" \
    --outfile "$work/$name" >/dev/null
done
# cleanup reads $XDG_RUNTIME_DIR: an empty one (mode 0700, as systemd makes it) times the
# command's start-up and exit, not the probing of sockets.
mkdir -m 0700 "$work/runtime"
for round in 1 2 3 4; do
  XDG_RUNTIME_DIR="$work/runtime" hyperfine -N --style none --warmup 3 \
    --runs "$(((${RUNS:-40} + 3) / 4))" --export-json "$work/round-$round.json" \
    -n hello "$work/hello" -n commander-only "$work/commander" \
    -n version "dist/tether --version" -n cleanup "dist/tether cleanup --dry-run" >/dev/null
done
python3 - "$work"/round-*.json <<'PY'
import json, statistics, sys
times = {}
for path in sys.argv[1:]:
    for result in json.load(open(path))["results"]:
        times.setdefault(result["command"], []).extend(result["times"])
ms = {name: statistics.median(samples) * 1000 for name, samples in times.items()}
hello = ms["hello"]
print(f"startup  bun hello-world {hello:.1f} ms, commander only {ms['commander-only']:.1f} ms"
      f" ({ms['commander-only'] / hello:.1f}x)")
for name, label in (("version", "tether --version"), ("cleanup", "tether cleanup --dry-run")):
    ratio = ms[name] / hello
    verdict = "met" if ratio <= 2 else "missed"
    print(f"startup  {label:<25} median {ms[name]:5.1f} ms  {ratio:.1f}x hello-world"
          f"  (goal <= 2x: {verdict})")
PY
