import assert from "node:assert/strict";
import { type Clock, sleepOn, type TimerHandle } from "../../src/resilience/clock.ts";
import { SharedTimer } from "../../src/resilience/shared_timer.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

Deno.test("a callback runs at its time, not before", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  const ranAt: number[] = [];
  const start = clock.now();
  timers.schedule(() => ranAt.push(clock.now() - start), 100);
  await clock.advance(99);
  assert.deepEqual(ranAt, []);
  await clock.advance(1);
  assert.deepEqual(ranAt, [100]);
  assert.equal(timers.size, 0);
});

Deno.test("a later callback reuses the armed timer; an earlier one re-arms it", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  const start = clock.now();
  const ranAt: [string, number][] = [];
  timers.schedule(() => ranAt.push(["first", clock.now() - start]), 100);
  timers.schedule(() => ranAt.push(["later", clock.now() - start]), 300);
  assert.deepEqual(clock.pending().map((timer) => timer.at - start), [100]);
  timers.schedule(() => ranAt.push(["earlier", clock.now() - start]), 50);
  assert.deepEqual(clock.pending().map((timer) => timer.at - start), [50]);
  await clock.advance(1000);
  assert.deepEqual(ranAt, [["earlier", 50], ["first", 100], ["later", 300]]);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("cancelling clears no timer; the armed one fires, runs nothing and stays off", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  let ran = false;
  const cancel = timers.schedule(() => ran = true, 2000);
  cancel();
  assert.equal(timers.size, 0);
  assert.equal(clock.pending().length, 1);
  await clock.advance(2000);
  assert.equal(ran, false);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("after a cancelled deadline passes, the next callback still runs on time", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  const start = clock.now();
  timers.schedule(() => {}, 100)();
  const ranAt: number[] = [];
  timers.schedule(() => ranAt.push(clock.now() - start), 250);
  await clock.advance(1000);
  assert.deepEqual(ranAt, [250]);
});

Deno.test("callbacks due together run in scheduling order; one may cancel another", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  const ran: string[] = [];
  let cancelThird = () => {};
  timers.schedule(() => ran.push("a"), 10);
  timers.schedule(() => {
    ran.push("b");
    cancelThird();
  }, 10);
  cancelThird = timers.schedule(() => ran.push("c"), 10);
  await clock.advance(10);
  assert.deepEqual(ran, ["a", "b"]);
});

Deno.test("a callback may schedule another, which runs at its own time", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  const start = clock.now();
  const ranAt: number[] = [];
  timers.schedule(() => {
    ranAt.push(clock.now() - start);
    timers.schedule(() => ranAt.push(clock.now() - start), 40);
  }, 10);
  timers.schedule(() => ranAt.push(clock.now() - start), 500);
  await clock.advance(1000);
  assert.deepEqual(ranAt, [10, 50, 500]);
});

Deno.test("dispose cancels everything and clears the armed timer", async () => {
  const clock = new VirtualClock();
  const timers = new SharedTimer(clock);
  let ran = false;
  timers.schedule(() => ran = true, 100);
  timers.dispose();
  assert.deepEqual(clock.pending(), []);
  assert.equal(timers.size, 0);
  await clock.advance(200);
  assert.equal(ran, false);
});

Deno.test("a clock timer that fires a fraction early still runs what it was armed for", () => {
  let now = 1000;
  const fired: (() => void)[] = [];
  const earlyClock: Clock = {
    now: () => now,
    setTimeout(callback: () => void): TimerHandle {
      fired.push(callback);
      return fired.length as unknown as TimerHandle;
    },
    clearTimeout() {},
    sleep(delayMs, signal) {
      return sleepOn(earlyClock, delayMs, signal);
    },
  };
  const timers = new SharedTimer(earlyClock);
  let ran = false;
  timers.schedule(() => ran = true, 10.6);
  now = 1010.2; // the runtime rounded the delay down
  fired.shift()!();
  assert.equal(ran, true);
  assert.deepEqual(fired, []);
});
