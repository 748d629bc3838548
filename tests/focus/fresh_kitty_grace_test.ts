import assert from "node:assert/strict";
import {
  awaitsSocket,
  FRESH_KITTY_GRACE_MS,
  FRESH_KITTY_MS,
  isFreshKitty,
  pollOnSchedule,
} from "../../src/focus/fresh_kitty_grace.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

Deno.test("pollOnSchedule tries after each delay, on the clock, until keepGoing says stop", async () => {
  const clock = new VirtualClock(0);
  const triedAtMs: number[] = [];
  const polled = pollOnSchedule([0, 100, 300, 1000], clock, 0, (last) => last < 3, () => {
    triedAtMs.push(clock.now());
    return Promise.resolve(triedAtMs.length);
  });
  await clock.advance(399);
  assert.deepEqual(triedAtMs, [0, 100]);
  await clock.advance(1);
  assert.equal(await polled, 3);
  assert.deepEqual(triedAtMs, [0, 100, 400]);
  assert.deepEqual(clock.pending(), [], "stopped: no further wait");
});

Deno.test("pollOnSchedule asks keepGoing again after the wait (focus moved on meanwhile)", async () => {
  const clock = new VirtualClock(0);
  let focused = true;
  let tries = 0;
  const polled = pollOnSchedule([0, 250, 250], clock, "none", () => focused, () => {
    tries++;
    return Promise.resolve(`try ${tries}`);
  });
  await clock.advance(100);
  focused = false;
  await clock.advance(1000);
  assert.equal(await polled, "try 1");
});

Deno.test("pollOnSchedule resolves to initial when no try is made, and to the last after the schedule", async () => {
  const clock = new VirtualClock(0);
  assert.equal(
    await pollOnSchedule([0], clock, "first", () => false, () => Promise.resolve("x")),
    "first",
  );
  const all = pollOnSchedule([0, 10, 10], clock, 0, () => true, () => Promise.resolve(clock.now()));
  await clock.advance(20);
  assert.equal(await all, 20);
});

Deno.test("a kitty is fresh for FRESH_KITTY_MS after it started; the grace is 5.25 s", () => {
  assert.equal(FRESH_KITTY_GRACE_MS, 5250);
  assert.equal(isFreshKitty(1000, 1000 + FRESH_KITTY_MS - 1), true);
  assert.equal(isFreshKitty(1000, 1000 + FRESH_KITTY_MS), false);
  assert.equal(isFreshKitty(null, 1000), false, "unknown start time: not fresh");
});

Deno.test("only a reachable kitty's missing socket is worth asking again", () => {
  const base = { kind: "unknown" as const, reason: "no socket" };
  assert.equal(awaitsSocket({ ...base, pid: 100, category: "not_configured" }), true);
  assert.equal(awaitsSocket({ ...base, pid: null, category: "not_configured" }), false);
  assert.equal(awaitsSocket({ ...base, pid: 100, category: "timeout" }), false);
  assert.equal(awaitsSocket({ kind: "moved_on", pid: 100 }), false);
});
