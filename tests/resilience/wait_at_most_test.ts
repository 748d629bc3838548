import assert from "node:assert/strict";
import { waitAtMost } from "../../src/resilience/wait_at_most.ts";
import { flushMicrotasks, VirtualClock } from "../support/virtual_clock.ts";

Deno.test("waitAtMost: true when the work ends first, and no timer is left behind", async () => {
  const clock = new VirtualClock(0);
  assert.equal(await waitAtMost(Promise.resolve("done"), 1000, clock), true);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("waitAtMost: false once the limit passes; the work is left running", async () => {
  const clock = new VirtualClock(0);
  let finishWork!: () => void;
  const work = new Promise<void>((resolve) => (finishWork = resolve));
  const waiting = waitAtMost(work, 1000, clock);
  await clock.advance(999);
  let settled = false;
  void waiting.then(() => (settled = true));
  await flushMicrotasks(); // everything already due has settled
  assert.equal(settled, false, "still waiting 1 ms before the limit");
  await clock.advance(1);
  assert.equal(await waiting, false);
  finishWork();
  await work;
});

Deno.test("waitAtMost: a rejection of the work before the limit rejects the wait", async () => {
  const clock = new VirtualClock(0);
  await assert.rejects(waitAtMost(Promise.reject(new Error("broken")), 1000, clock), /broken/);
  assert.deepEqual(clock.pending(), []);
});
