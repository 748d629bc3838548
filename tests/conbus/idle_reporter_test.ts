import assert from "node:assert/strict";
import type { Incoming } from "../../src/conbus/bridge_connection.ts";
import { IdleReporter } from "../../src/conbus/idle_reporter.ts";
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const EVENT = telegramFromBody("E07L06I80B");

Deno.test("idle reporter: a flood is shown up to the budget, the rest summarised a second later", async () => {
  const clock = new VirtualClock();
  const shown: Incoming[] = [];
  const notShown: [number, number][] = [];
  const idle = new IdleReporter({
    clock,
    maxPerSecond: 10,
    onTelegram: (incoming) => shown.push(incoming),
    onNotShown: (count, atMs) => notShown.push([count, atMs]),
  });
  const startedAt = clock.now();
  for (let index = 0; index < 5000; index++) {
    idle.report({ kind: "telegram", telegram: EVENT, atMs: clock.now() });
  }
  assert.equal(shown.length, 10);
  assert.deepEqual([idle.seen, idle.notShown], [5000, 4990]);
  assert.deepEqual(notShown, []);
  assert.equal(clock.pending().length, 1, "one summary timer, not one per telegram");
  await clock.advance(1000);
  assert.deepEqual(notShown, [[4990, startedAt + 1000]]);
  assert.deepEqual(clock.pending(), []);
  idle.report({ kind: "telegram", telegram: EVENT, atMs: clock.now() });
  assert.equal(shown.length, 11, "a new second, a new budget");
});

Deno.test("idle reporter: flush reports what is pending at once and clears the timer", () => {
  const clock = new VirtualClock();
  const notShown: number[] = [];
  const idle = new IdleReporter({
    clock,
    maxPerSecond: 1,
    onNotShown: (count) => notShown.push(count),
  });
  for (let index = 0; index < 3; index++) {
    idle.report({ kind: "invalid", frame: "<x>", error: "bad", atMs: clock.now() });
  }
  idle.flush();
  assert.deepEqual(notShown, [2]);
  assert.deepEqual(clock.pending(), []);
  idle.flush();
  assert.deepEqual(notShown, [2], "nothing pending: no empty summary");
});
