import assert from "node:assert/strict";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { type GiveUpEvent, retry, type RetryEvent } from "../../src/resilience/retry.ts";
import {
  delayBeforeAttempt,
  exponentialPolicy,
  hasAttemptsLeft,
  schedulePolicy,
} from "../../src/resilience/retry_policy.ts";
import { KITTY_COMMAND_POLICY } from "../../src/kitty/command_policy.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const refused = () => new ConnectionError("refused", "kitty 1: connection refused");

/** Runs `retry` with an always-failing attempt and records when each attempt ran. */
function failingRun(clock: VirtualClock, error: () => unknown = refused) {
  const attemptTimes: number[] = [];
  const started = clock.now();
  const retries: RetryEvent[] = [];
  const giveUps: GiveUpEvent[] = [];
  const run = (policy: Parameters<typeof retry>[0], signal?: AbortSignal) =>
    retry(policy, ({ attempt }) => {
      attemptTimes.push(clock.now() - started);
      assert.equal(attempt, attemptTimes.length);
      throw error();
    }, {
      clock,
      signal,
      onRetry: (event) => retries.push(event),
      onGiveUp: (event) => giveUps.push(event),
    });
  return { attemptTimes, retries, giveUps, run };
}

Deno.test("kitty preset: attempts immediately, +100 ms, +200 ms, then gives up", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, retries, giveUps, run } = failingRun(clock);
  const result = assert.rejects(run(KITTY_COMMAND_POLICY), /connection refused/);
  await clock.advance(99);
  assert.deepEqual(attemptTimes, [0]);
  await clock.advance(1);
  assert.deepEqual(attemptTimes, [0, 100]);
  await clock.advance(199);
  assert.deepEqual(attemptTimes, [0, 100]);
  await clock.advance(1);
  await result;
  assert.deepEqual(attemptTimes, [0, 100, 300]);
  assert.deepEqual(retries.map(({ attempt, delayMs }) => [attempt, delayMs]), [[2, 100], [3, 200]]);
  assert.equal(giveUps.length, 1);
  assert.equal(giveUps[0]!.attempts, 3);
  assert.equal(giveUps[0]!.reason, "exhausted");
});

Deno.test("retry returns the first success without further attempts", async () => {
  const clock = new VirtualClock(0);
  let calls = 0;
  const result = retry(KITTY_COMMAND_POLICY, ({ attempt }) => {
    calls++;
    if (attempt < 2) throw refused();
    return `ok on ${attempt}`;
  }, { clock });
  await clock.advance(1000);
  assert.equal(await result, "ok on 2");
  assert.equal(calls, 2);
});

Deno.test("a non-recoverable error is not retried", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, giveUps, run } = failingRun(
    clock,
    () => new ConnectionError("auth", "kitty 1: no answer in password mode"),
  );
  await assert.rejects(run(KITTY_COMMAND_POLICY), /password mode/);
  assert.deepEqual(attemptTimes, [0]);
  assert.equal(giveUps[0]!.reason, "not_retryable");
});

Deno.test("errors that are not connection errors are never retried", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, run } = failingRun(clock, () => new TypeError("a bug"));
  await assert.rejects(run(KITTY_COMMAND_POLICY), TypeError);
  assert.deepEqual(attemptTimes, [0]);
});

Deno.test("retryOn restricts which categories a policy retries", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, run } = failingRun(clock, () => new ConnectionError("busy", "bridge busy"));
  await assert.rejects(run(schedulePolicy([0, 0, 0], { retryOn: ["refused"] })), /bridge busy/);
  assert.deepEqual(attemptTimes, [0]);
});

Deno.test("abort during a delay rejects at once with the signal's reason", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, giveUps, run } = failingRun(clock);
  const controller = new AbortController();
  const result = run(exponentialPolicy({ jitter: "none", maxAttempts: 0 }), controller.signal);
  await clock.advance(1000);
  assert.deepEqual(attemptTimes, [1000]);
  controller.abort(new Error("shutting down"));
  await assert.rejects(result, /shutting down/);
  assert.equal(giveUps[0]!.reason, "aborted");
  assert.deepEqual(clock.pending(), [], "the pending delay timer was cleared");
});

Deno.test("an already aborted signal makes no attempt", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, run } = failingRun(clock);
  await assert.rejects(run(KITTY_COMMAND_POLICY, AbortSignal.abort(new Error("no"))), /no/);
  assert.deepEqual(attemptTimes, []);
});

Deno.test("attempts receive the signal; aborting during an attempt rejects with the reason", async () => {
  const clock = new VirtualClock(0);
  const controller = new AbortController();
  const result = retry(KITTY_COMMAND_POLICY, ({ signal }) => {
    controller.abort(new Error("stop now"));
    assert.equal(signal.aborted, true);
    throw refused();
  }, { clock, signal: controller.signal });
  await assert.rejects(result, /stop now/);
});

Deno.test("exponential retry waits the schedule on virtual time and stops at maxAttempts", async () => {
  const clock = new VirtualClock(0);
  const { attemptTimes, giveUps, run } = failingRun(clock);
  const result = assert.rejects(run(exponentialPolicy({ jitter: "none", maxAttempts: 4 })));
  await clock.advance(1000 + 2000 + 4000 + 8000);
  await result;
  assert.deepEqual(attemptTimes, [1000, 3000, 7000, 15000]);
  assert.equal(giveUps[0]!.attempts, 4);
});

Deno.test("maxAttempts 0 is unlimited", async () => {
  const clock = new VirtualClock(0);
  const policy = exponentialPolicy({ jitter: "none", maxAttempts: 0, maxDelayMs: 1000 });
  assert.equal(hasAttemptsLeft(policy, 1_000_000), true);
  const controller = new AbortController();
  const { attemptTimes, run } = failingRun(clock);
  const result = run(policy, controller.signal);
  await clock.advance(50 * 1000);
  assert.equal(attemptTimes.length, 50);
  controller.abort(new Error("enough"));
  await assert.rejects(result, /enough/);
  assert.equal(delayBeforeAttempt(policy, 10_000_000), 1000);
});

Deno.test("retry draws jitter from the injected random and waits exactly the drawn delays", async () => {
  const clock = new VirtualClock(0);
  const draws = [0, 0.5, 0.999];
  const attemptTimes: number[] = [];
  const retries: RetryEvent[] = [];
  const policy = exponentialPolicy({ jitter: "half", maxAttempts: 3 }); // 1 s, 2 s, 4 s nominal
  const result = assert.rejects(retry(policy, () => {
    attemptTimes.push(clock.now());
    throw refused();
  }, { clock, random: () => draws.shift()!, onRetry: (event) => retries.push(event) }));
  await clock.advance(10_000);
  await result;
  // half jitter: d/2 + random * d/2 -> 500 (0), 1500 (0.5), 3998 (0.999, floored)
  assert.deepEqual(retries.map((event) => event.delayMs), [1500, 3998]);
  assert.deepEqual(attemptTimes, [500, 500 + 1500, 500 + 1500 + 3998]);
  assert.deepEqual(draws, [], "one draw per delay");
});
