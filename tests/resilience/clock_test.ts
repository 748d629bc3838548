import assert from "node:assert/strict";
import { systemClock } from "../../src/resilience/clock.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

Deno.test("system clock: now() is epoch milliseconds and sleep(0) resolves", async () => {
  assert.ok(Math.abs(systemClock.now() - Date.now()) < 1000);
  await systemClock.sleep(0);
});

Deno.test("system clock: an aborted sleep rejects with the signal's reason at once", async () => {
  const controller = new AbortController();
  const slept = systemClock.sleep(60_000, controller.signal);
  controller.abort(new Error("stop"));
  await assert.rejects(slept, /stop/);
  await assert.rejects(systemClock.sleep(10, AbortSignal.abort(new Error("early"))), /early/);
});

Deno.test("system clock: an unref'd timer can be cleared", async () => {
  let fired = false;
  const handle = systemClock.setTimeout(() => fired = true, 1, { unref: true });
  systemClock.clearTimeout(handle);
  await systemClock.sleep(5);
  assert.equal(fired, false);
});

Deno.test("virtual clock: advance runs due timers in time order and moves now()", async () => {
  const clock = new VirtualClock(1000);
  const seen: [string, number][] = [];
  clock.setTimeout(() => seen.push(["b", clock.now()]), 200);
  clock.setTimeout(() => seen.push(["a", clock.now()]), 100);
  clock.setTimeout(() => seen.push(["c", clock.now()]), 300);
  await clock.advance(250);
  assert.deepEqual(seen, [["a", 1100], ["b", 1200]]);
  assert.equal(clock.now(), 1250);
  assert.deepEqual(clock.pending(), [{ at: 1300, unref: false }]);
});

Deno.test("virtual clock: timers set by awaiting code during advance also run", async () => {
  const clock = new VirtualClock(0);
  const times: number[] = [];
  const loop = (async () => {
    for (let i = 0; i < 3; i++) {
      await clock.sleep(100);
      times.push(clock.now());
    }
  })();
  await clock.advance(300);
  await loop;
  assert.deepEqual(times, [100, 200, 300]);
});

Deno.test("virtual clock: cleared timers never run; aborted sleeps reject", async () => {
  const clock = new VirtualClock(0);
  let fired = false;
  clock.clearTimeout(clock.setTimeout(() => fired = true, 10));
  const controller = new AbortController();
  const slept = clock.sleep(50, controller.signal);
  controller.abort(new Error("cancelled"));
  await assert.rejects(slept, /cancelled/);
  await clock.advance(100);
  assert.equal(fired, false);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("virtual clock: runNext jumps to the earliest timer", async () => {
  const clock = new VirtualClock(0);
  let at = -1;
  clock.setTimeout(() => at = clock.now(), 5000, { unref: true });
  assert.deepEqual(clock.pending(), [{ at: 5000, unref: true }]);
  await clock.runNext();
  assert.equal(at, 5000);
});
