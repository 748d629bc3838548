import assert from "node:assert/strict";
import {
  FOCUS_RECONNECT_POLICY,
  focusTransitions,
  sameFocus,
} from "../../src/compositor/focus_source.ts";
import { delaySequence, hasAttemptsLeft } from "../../src/resilience/retry_policy.ts";

const kitty = { windowId: 7, pid: 100, appId: "kitty" };
const foot = { windowId: 8, pid: 200, appId: "foot" };

Deno.test("sameFocus compares window id, pid and app id", () => {
  assert.equal(sameFocus(kitty, { ...kitty }), true);
  assert.equal(sameFocus(kitty, { ...kitty, pid: 101 }), false);
  assert.equal(sameFocus(kitty, { ...kitty, appId: "foot" }), false);
  assert.equal(sameFocus(null, null), true);
  assert.equal(sameFocus(kitty, null), false);
});

Deno.test("focusTransitions reports changes once and drops repeats", () => {
  const next = focusTransitions();
  assert.deepEqual(next(kitty), { previous: null, focused: kitty });
  assert.equal(next({ ...kitty }), null);
  assert.deepEqual(next(foot), { previous: kitty, focused: foot });
  assert.deepEqual(next(null), { previous: foot, focused: null });
  assert.equal(next(null), null);
});

Deno.test("FOCUS_RECONNECT_POLICY: 0.5 s doubling to at most 10 s, half jitter, never gives up", () => {
  assert.equal(FOCUS_RECONNECT_POLICY.maxAttempts, 0);
  assert.equal(hasAttemptsLeft(FOCUS_RECONNECT_POLICY, 1_000_000), true);
  const ceilings = [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000];
  for (const [random, pick] of [[0, "lowest"], [0.999999, "highest"], [0.5, "middle"]] as const) {
    const delays = delaySequence(FOCUS_RECONNECT_POLICY, () => random);
    const drawn = Array.from({ length: 200 }, () => delays.next());
    ceilings.forEach((ceiling, index) => {
      const delay = drawn[index]!;
      assert.ok(delay >= ceiling / 2 && delay < ceiling, `${pick} attempt ${index + 1}: ${delay}`);
    });
    assert.ok(drawn.every((delay) => delay < 10_000), `${pick}: a delay reached 10 s`);
  }
});
