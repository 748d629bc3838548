import assert from "node:assert/strict";
import { FlapLogThrottle } from "../../src/resilience/flap_log_throttle.ts";

Deno.test("a half-closing peer: 1,000 cycles give about log2(1000) lines, not 2,000", () => {
  const throttle = new FlapLogThrottle({ stableMs: 10_000 });
  let now = 0;
  let lines = 0;
  for (let cycle = 0; cycle < 1000; cycle++) {
    if (throttle.connected(now).log) lines++;
    now += 50; // the peer closes 50 ms after accepting
    if (throttle.lost(now).log) lines++;
    now += 600; // the next reconnect attempt
  }
  assert.ok(lines <= 2 * 11, `${lines} lines`);
  assert.ok(lines >= 10, `${lines} lines`);
});

Deno.test("a connection that stays up ends the run: its loss is logged again, without a note", () => {
  const throttle = new FlapLogThrottle({ stableMs: 10_000 });
  throttle.connected(0);
  assert.deepEqual(throttle.lost(100), {
    log: true,
    note: "(1 short-lived connection in a row; logging every doubling)",
  });
  assert.equal(throttle.connected(1000).log, true);
  assert.equal(throttle.lost(1100).log, true); // 2nd
  assert.equal(throttle.connected(2000).log, true);
  assert.equal(throttle.lost(2100).log, false); // 3rd
  assert.equal(throttle.connected(3000).log, false);
  assert.equal(throttle.lost(60_000).log, true); // up 57 s: stable
  assert.equal(throttle.lost(60_000).note, "");
});
