import assert from "node:assert/strict";
import { repeatEvery } from "../../src/resilience/repeat.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

Deno.test("repeatEvery ticks once per interval, only as time advances, and stops for good", async () => {
  const clock = new VirtualClock();
  const startedAt = clock.now();
  const ticks: number[] = [];
  const stop = repeatEvery(clock, 2000, () => ticks.push(clock.now() - startedAt), {
    unref: true,
  });
  await clock.advance(1999);
  assert.deepEqual(ticks, []);
  await clock.advance(1);
  await clock.advance(4000);
  assert.deepEqual(ticks, [2000, 4000, 6000]);
  stop();
  await clock.advance(10_000);
  assert.deepEqual(ticks, [2000, 4000, 6000]);
});

Deno.test("repeatEvery stopped from inside its tick schedules nothing more", async () => {
  const clock = new VirtualClock();
  let ticks = 0;
  const stop = repeatEvery(clock, 100, () => {
    ticks++;
    stop();
  });
  await clock.advance(1000);
  assert.equal(ticks, 1);
});
