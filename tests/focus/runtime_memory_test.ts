import assert from "node:assert/strict";
import { keepJitIdle, memoryReport, NO_TIER_UP_SCALE } from "../../src/focus/runtime_memory.ts";

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
