import assert from "node:assert/strict";
import { deadline, deadlineSignal, waitAtMost } from "../../src/resilience/deadline.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

/** A promise the test settles by hand. */
function manual<T>(): {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

Deno.test("deadline: the work's value when it ends first, and no timer is left behind", async () => {
  const clock = new VirtualClock(0);
  assert.equal(await deadline(Promise.resolve("done"), 1000, { clock }), "done");
  assert.deepEqual(clock.pending(), []);
});

Deno.test("deadline: rejects with a timeout ConnectionError only when the clock reaches the limit", async () => {
  const clock = new VirtualClock(0);
  let workSignal: AbortSignal | undefined;
  let settled = false;
  const waiting = deadline(
    (signal) => {
      workSignal = signal;
      return new Promise<never>(() => {});
    },
    1000,
    { clock, timeoutMessage: "sway 812: no reply within 1000 ms" },
  )
    .finally(() => (settled = true));
  waiting.catch(() => {});
  await clock.advance(999);
  assert.equal(settled, false, "still waiting 1 ms before the limit");
  assert.equal(workSignal?.aborted, false);
  await clock.advance(1);
  await assert.rejects(waiting, (error: unknown) => {
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.category, "timeout");
    assert.equal(error.message, "sway 812: no reply within 1000 ms");
    assert.equal(workSignal?.reason, error, "the work is told why it was cut off");
    return true;
  });
  assert.deepEqual(clock.pending(), []);
});

Deno.test("deadline: the default timeout message says the limit", async () => {
  const clock = new VirtualClock(0);
  const waiting = deadline(new Promise(() => {}), 250, { clock });
  waiting.catch(() => {});
  await clock.advance(250);
  await assert.rejects(waiting, /^ConnectionError: no answer within 250 ms$/);
});

Deno.test("deadline: the caller's abort rejects with its reason, aborts the work and clears the timer", async () => {
  const clock = new VirtualClock(0);
  const controller = new AbortController();
  let workSignal: AbortSignal | undefined;
  const waiting = deadline(
    (signal) => {
      workSignal = signal;
      return new Promise<never>(() => {});
    },
    1000,
    { clock, signal: controller.signal },
  );
  const reason = new Error("stopping");
  controller.abort(reason);
  await assert.rejects(waiting, (error: unknown) => error === reason);
  assert.equal(workSignal?.reason, reason);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("deadline: an already aborted signal rejects without starting the work", async () => {
  const clock = new VirtualClock(0);
  let started = false;
  const reason = new Error("too late");
  await assert.rejects(
    deadline(
      () => {
        started = true;
        return Promise.resolve(1);
      },
      1000,
      { clock, signal: AbortSignal.abort(reason) },
    ),
    (error: unknown) => error === reason,
  );
  assert.equal(started, false);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("deadline: a rejection (or a throw) of the work rejects, timer cleared", async () => {
  const clock = new VirtualClock(0);
  await assert.rejects(deadline(Promise.reject(new Error("broken")), 1000, { clock }), /broken/);
  await assert.rejects(
    deadline(
      () => {
        throw new Error("thrown");
      },
      1000,
      { clock },
    ),
    /thrown/,
  );
  assert.deepEqual(clock.pending(), []);
});

Deno.test("deadline: a work's late settlement after the timeout changes nothing", async () => {
  const clock = new VirtualClock(0);
  const work = manual<string>();
  const waiting = deadline(work.promise, 10, { clock });
  waiting.catch(() => {});
  await clock.advance(10);
  await assert.rejects(waiting, /no answer within 10 ms/);
  work.reject(new Error("late"));
  await clock.advance(0); // no unhandled rejection surfaces
});

Deno.test("deadlineSignal: aborts with a timeout at the limit; dispose clears the timer without aborting", async () => {
  const clock = new VirtualClock(0);
  const cutOff = deadlineSignal(500, { clock });
  await clock.advance(499);
  assert.equal(cutOff.signal.aborted, false);
  await clock.advance(1);
  assert.ok(cutOff.signal.reason instanceof ConnectionError);
  assert.equal(cutOff.signal.reason.category, "timeout");

  const outer = new AbortController();
  const disposed = deadlineSignal(500, { clock, signal: outer.signal });
  assert.equal(clock.pending().length, 1);
  disposed.dispose();
  assert.deepEqual(clock.pending(), []);
  outer.abort(new Error("after dispose"));
  assert.equal(disposed.signal.aborted, false, "a disposed signal no longer follows the caller's");
});

Deno.test("waitAtMost: true when the work ends first, and no timer is left behind", async () => {
  const clock = new VirtualClock(0);
  assert.equal(await waitAtMost(Promise.resolve("done"), 1000, clock), true);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("waitAtMost: false once the limit passes; the work is left running", async () => {
  const clock = new VirtualClock(0);
  const work = manual<void>();
  const waiting = waitAtMost(work.promise, 1000, clock);
  await clock.advance(999);
  let settled = false;
  void waiting.then(() => (settled = true));
  await Promise.resolve();
  assert.equal(settled, false, "still waiting 1 ms before the limit");
  await clock.advance(1);
  assert.equal(await waiting, false);
  work.resolve();
  await work.promise;
});

Deno.test("waitAtMost: a rejection of the work before the limit rejects the wait", async () => {
  const clock = new VirtualClock(0);
  await assert.rejects(waitAtMost(Promise.reject(new Error("broken")), 1000, clock), /broken/);
  assert.deepEqual(clock.pending(), []);
});
