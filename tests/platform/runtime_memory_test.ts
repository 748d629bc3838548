import assert from "node:assert/strict";
import {
  keepJitIdle,
  MEMORY_CHECK_INTERVAL_MS,
  MemoryReleaser,
  memoryReport,
  NO_TIER_UP_SCALE,
  RELEASE_AFTER_GROWTH_BYTES,
  startMemoryRelease,
} from "../../src/platform/runtime_memory.ts";
import { repeatEvery } from "../../src/resilience/repeat.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const MIB = 1024 * 1024;

const usage = () => ({ rss: 50, heapUsed: 4, heapTotal: 8, external: 2, arrayBuffers: 1 });

Deno.test("keepJitIdle scales Bun's JIT tier-up thresholds out of reach", () => {
  const scales: number[] = [];
  const host = { Bun: { gc: () => {}, unsafe: { setJITPolicy: (s: number) => scales.push(s) } } };
  assert.equal(keepJitIdle(host), true);
  assert.deepEqual(scales, [NO_TIER_UP_SCALE]);
});

Deno.test("keepJitIdle does nothing outside Bun", () => {
  assert.equal(keepJitIdle({}), false);
  assert.equal(keepJitIdle(), false); // deno test runs on Deno
});

Deno.test("memoryReport collects garbage first on Bun and reports the usage", () => {
  const forced: boolean[] = [];
  const report = memoryReport(true, { Bun: { gc: (force) => forced.push(force) } }, usage);
  assert.deepEqual(forced, [true]);
  assert.deepEqual(report, { rss: 50, heap_used: 4, heap_total: 8, external: 2, collected: true });
});

Deno.test("memoryReport uses an exposed gc() and says when it could not collect", () => {
  let collections = 0;
  assert.equal(memoryReport(true, { gc: () => collections++ }, usage).collected, true);
  assert.equal(collections, 1);
  assert.equal(memoryReport(true, {}, usage).collected, false);
  assert.equal(memoryReport(false, { gc: () => collections++ }, usage).collected, false);
  assert.equal(collections, 1);
});

Deno.test("MemoryReleaser collects once the heap grew by the threshold, then waits for new growth", () => {
  let heap = 50 * MIB;
  let collections = 0;
  const host = {
    Bun: {
      gc: (force: boolean) => {
        assert.equal(force, true);
        collections++;
        heap = 60 * MIB; // the collection hands most of the flood's memory back
      },
    },
  };
  const releaser = new MemoryReleaser(host, () => heap);
  assert.equal(releaser.available, true);
  heap = 50 * MIB + RELEASE_AFTER_GROWTH_BYTES - 1;
  assert.equal(releaser.check(), false);
  heap = 50 * MIB + RELEASE_AFTER_GROWTH_BYTES;
  assert.equal(releaser.check(), true);
  assert.equal(collections, 1);
  // Counted from the heap after the collection (60 MiB), not from the start.
  heap = 60 * MIB + RELEASE_AFTER_GROWTH_BYTES - 1;
  assert.equal(releaser.check(), false);
  heap = 60 * MIB + RELEASE_AFTER_GROWTH_BYTES;
  assert.equal(releaser.check(), true);
  assert.equal(collections, 2);
});

Deno.test("MemoryReleaser does nothing without a collector, and startMemoryRelease schedules nothing", () => {
  const releaser = new MemoryReleaser({}, () => 10 * RELEASE_AFTER_GROWTH_BYTES);
  assert.equal(releaser.available, false);
  assert.equal(releaser.check(), false);
  let scheduled = 0;
  startMemoryRelease(() => {
    scheduled++;
    return () => {};
  }, releaser)();
  assert.equal(scheduled, 0);
});

Deno.test("startMemoryRelease checks every MEMORY_CHECK_INTERVAL_MS on the given clock until stopped", async () => {
  const clock = new VirtualClock();
  let heap = 10 * MIB;
  let collections = 0;
  const releaser = new MemoryReleaser({ gc: () => collections++ }, () => heap);
  const stop = startMemoryRelease(
    (tick, intervalMs) => repeatEvery(clock, intervalMs, tick, { unref: true }),
    releaser,
  );
  heap += RELEASE_AFTER_GROWTH_BYTES;
  await clock.advance(MEMORY_CHECK_INTERVAL_MS - 1);
  assert.equal(collections, 0);
  await clock.advance(1);
  assert.equal(collections, 1);
  stop();
  heap += 2 * RELEASE_AFTER_GROWTH_BYTES;
  await clock.advance(10 * MEMORY_CHECK_INTERVAL_MS);
  assert.equal(collections, 1);
});
