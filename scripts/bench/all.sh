#!/usr/bin/env bash
# `deno task bench`: runs every figure script in scripts/bench/ in turn (each reports ratios
# against the alternative measured in the same run). Pass names to run a subset: all.sh startup.
set -euo pipefail
cd "$(dirname "$0")"
names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  for script in *.sh; do [ "$script" = all.sh ] || names+=("${script%.sh}"); done
fi
for name in "${names[@]}"; do
  printf '== bench %s\n' "$name"
  bash "./$name.sh"
done
