#!/usr/bin/env bash
# The project's one test command (README "Tests"; .ci/run runs exactly this):
# setup, formatting, lint, type check, single-binary build, then every test (unit, integration
# against real peers, e2e against dist/tether). Ends with one line `N passed, N failed` taken
# from deno test's own summary (a failed non-test step makes N failed at least the number of
# failed steps); exits non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
. scripts/env.sh
export NO_COLOR=1 # plain output for logs and the parsers below

failed_steps=()
step() {
  local name="$1"
  shift
  printf '== %s\n' "$name"
  "$@" || failed_steps+=("$name")
}
step "deno fmt --check" "$DENO" fmt --check
step "deno lint" "$DENO" lint
step "deno check" "$DENO" check main.ts src tests scripts
step "build dist/tether" bash scripts/build.sh compile

printf '== deno test\n'
log="$(mktemp)"
# A hung test must fail the run, not stall CI: the whole suite takes a few minutes.
TETHER_BIN="$TETHER_ROOT/dist/tether" timeout --kill-after=30 "${TETHER_TEST_TIMEOUT_S:-1200}" \
  "$DENO" test --allow-all --no-check tests/ "$@" 2>&1 |
  tee "$log"
test_status="${PIPESTATUS[0]}"
summary="$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -1)"
rm -f "$log"
passed="$(sed -E 's/^[A-Z a-z]+\| ([0-9]+) passed.*/\1/' <<<"$summary")"
failed="$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")"
[ -n "$summary" ] || { passed=0; failed=1; failed_steps+=("deno test (no summary)"); }
[ "$test_status" -eq 0 ] || failed_steps+=("deno test")

if [ "${#failed_steps[@]}" -gt 0 ]; then
  printf 'failed steps: %s\n' "${failed_steps[*]}"
  # A failed fmt/lint/check/build step counts as a failure in the last line too, so the line
  # alone never reads "0 failed" for a run that failed.
  [ "$failed" -gt 0 ] || failed="${#failed_steps[@]}"
fi
echo "$passed passed, $failed failed"
[ "${#failed_steps[@]}" -eq 0 ]
