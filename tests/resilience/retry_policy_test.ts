/** Retry policies as data: presets, builders, delays, which errors retry (no waiting here). */
import assert from "node:assert/strict";
import { ConnectionError } from "../../src/resilience/errors.ts";
import {
  delayBeforeAttempt,
  delaySequence,
  exponentialPolicy,
  hasAttemptsLeft,
  isRetryable,
  schedulePolicy,
} from "../../src/resilience/retry_policy.ts";
import { KITTY_COMMAND_POLICY } from "../../src/kitty/command_policy.ts";

const refused = () => new ConnectionError("refused", "kitty 1: connection refused");

Deno.test("isRetryable: recoverable categories, retryOn, raw errno errors", () => {
  assert.equal(isRetryable(KITTY_COMMAND_POLICY, refused()), true);
  assert.equal(isRetryable(KITTY_COMMAND_POLICY, new ConnectionError("protocol", "x")), false);
  assert.equal(
    isRetryable(KITTY_COMMAND_POLICY, new ConnectionError("timeout", "x", { recoverable: false })),
    false,
  );
  const onlyRefused = schedulePolicy([0, 10], { retryOn: ["refused"] });
  assert.equal(isRetryable(onlyRefused, refused()), true);
  assert.equal(isRetryable(onlyRefused, new ConnectionError("timeout", "x")), false);
  assert.equal(
    isRetryable(KITTY_COMMAND_POLICY, Object.assign(new Error(), { code: "EPIPE" })),
    true,
  );
  assert.equal(
    isRetryable(KITTY_COMMAND_POLICY, Object.assign(new Error(), { code: "EACCES" })),
    false,
  );
  assert.equal(isRetryable(KITTY_COMMAND_POLICY, null), false);
});

const EXPONENTIAL_DEFAULTS = exponentialPolicy();

Deno.test("kitty command preset: at once, +100 ms, +200 ms, then give up", () => {
  assert.equal(KITTY_COMMAND_POLICY.maxAttempts, 3);
  assert.deepEqual([1, 2, 3].map((n) => delayBeforeAttempt(KITTY_COMMAND_POLICY, n)), [
    0,
    100,
    200,
  ]);
});

Deno.test("exponential defaults: 1 s ×2 capped at 60 s, half jitter, 10 attempts", () => {
  assert.equal(EXPONENTIAL_DEFAULTS.maxAttempts, 10);
  const expected = [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000];
  const low = expected.map((_, index) =>
    delayBeforeAttempt(EXPONENTIAL_DEFAULTS, index + 1, () => 0)
  );
  assert.deepEqual(low, expected.map((delay) => delay / 2));
  const high = expected.map((_, index) =>
    delayBeforeAttempt(EXPONENTIAL_DEFAULTS, index + 1, () => 0.999999)
  );
  high.forEach((delay, index) => {
    assert.ok(delay < expected[index]! && delay >= expected[index]! - 1, `${delay}`);
  });
});

Deno.test("jittered delays stay within [d/2, d) over many draws", () => {
  for (let attempt = 1; attempt <= 12; attempt++) {
    const capped = Math.min(60_000, 1000 * 2 ** (attempt - 1));
    for (let draw = 0; draw < 200; draw++) {
      const delay = delayBeforeAttempt(EXPONENTIAL_DEFAULTS, attempt);
      assert.ok(delay >= capped / 2 && delay < capped, `attempt ${attempt}: ${delay}`);
      assert.equal(delay, Math.floor(delay));
    }
  }
});

Deno.test("jitter none is exact; full jitter lies in [0, d); multiplier is honoured", () => {
  const none = exponentialPolicy({
    jitter: "none",
    initialDelayMs: 100,
    multiplier: 3,
    maxDelayMs: 2000,
  });
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((attempt) => delayBeforeAttempt(none, attempt)),
    [100, 300, 900, 2000, 2000],
  );
  const full = exponentialPolicy({ jitter: "full", initialDelayMs: 1000 });
  assert.equal(delayBeforeAttempt(full, 1, () => 0), 0);
  assert.equal(delayBeforeAttempt(full, 2, () => 0.5), 1000);
});

Deno.test("delaySequence draws the same delays as delayBeforeAttempt, one random draw each", () => {
  const draws = [0, 0.5, 0.25, 0.999];
  const closedForm = draws.map((draw, index) =>
    delayBeforeAttempt(EXPONENTIAL_DEFAULTS, index + 1, () => draw)
  );
  const sequence = delaySequence(EXPONENTIAL_DEFAULTS, () => draws.shift()!);
  const walked = [sequence.next(), sequence.next(), sequence.next(), sequence.next()];
  assert.deepEqual(walked, [500, 1500, 2500, 7996]);
  assert.deepEqual(walked, closedForm);
  assert.deepEqual(draws, []);
  const schedule = delaySequence(schedulePolicy([0, 50], { maxAttempts: 4 }));
  assert.deepEqual([schedule.next(), schedule.next(), schedule.next()], [0, 50, 50]);
});

Deno.test("a schedule shorter than maxAttempts repeats its last delay", () => {
  const policy = schedulePolicy([0, 50], { maxAttempts: 4 });
  assert.deepEqual([1, 2, 3, 4].map((n) => delayBeforeAttempt(policy, n)), [0, 50, 50, 50]);
  assert.equal(hasAttemptsLeft(policy, 3), true);
  assert.equal(hasAttemptsLeft(policy, 4), false);
});

Deno.test("policy builders validate their input", () => {
  assert.throws(() => schedulePolicy([]), RangeError);
  assert.throws(() => schedulePolicy([-1]), RangeError);
  assert.throws(() => exponentialPolicy({ maxAttempts: -1 }), RangeError);
  assert.throws(() => exponentialPolicy({ multiplier: 0.5 }), RangeError);
  assert.throws(() => delayBeforeAttempt(KITTY_COMMAND_POLICY, 0), RangeError);
  assert.equal(schedulePolicy([0, 100, 200]).maxAttempts, 3);
});
