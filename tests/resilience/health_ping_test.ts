/** The health ping loop on virtual time: latency per answer, failure on error or silence, abort. */
import assert from "node:assert/strict";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { type HealthPingResult, pingUntilFailure } from "../../src/resilience/health_ping.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

function setup(answers: ("answer" | "fail" | "hang")[], latencyMs = 20) {
  const clock = new VirtualClock(0);
  const results: HealthPingResult[] = [];
  const stop = new AbortController();
  let settled = false;
  const loop = pingUntilFailure({
    connection: "sway",
    ping: async (_connection, signal) => {
      const answer = answers.shift() ?? "answer";
      if (answer === "hang") return await new Promise<void>(() => {});
      await clock.sleep(latencyMs, signal);
      if (answer === "fail") throw new ConnectionError("closed", "sway: EOF");
    },
    name: "sway",
    intervalMs: 1000,
    timeoutMs: 200,
    clock,
    signal: stop.signal,
    onResult: (result) => results.push(result),
  });
  loop.then(() => settled = true, () => settled = true);
  return { clock, results, stop, loop, isSettled: () => settled };
}

Deno.test("pings every intervalMs after the previous answer and reports its latency", async () => {
  const { clock, results, stop, isSettled } = setup(["answer", "answer"]);
  await clock.advance(999);
  assert.deepEqual(results, []);
  await clock.advance(1 + 20);
  assert.deepEqual(results, [{ ok: true, latencyMs: 20, at: 1020 }]);
  await clock.advance(1000 + 20);
  assert.deepEqual(results.at(-1), { ok: true, latencyMs: 20, at: 2040 });
  stop.abort();
  await clock.advance(10_000);
  assert.equal(results.length, 2, "no ping after the abort");
  assert.equal(isSettled(), false, "an aborted loop never settles (it races a connection's end)");
});

Deno.test("a failing ping ends the loop with its error, reported first", async () => {
  const { clock, results, loop } = setup(["answer", "fail"]);
  await clock.advance(2040);
  const error = await loop;
  assert.equal(error.category, "closed");
  assert.deepEqual(results.map((result) => result.ok), [true, false]);
  const last = results.at(-1)!;
  assert.equal(last.ok ? null : last.error, error);
});

Deno.test("a ping without an answer within timeoutMs fails with `timeout`", async () => {
  const { clock, loop } = setup(["hang"]);
  await clock.advance(1000 + 200);
  const error = await loop;
  assert.equal(error.category, "timeout");
  assert.equal(error.message, "sway: no answer to the health ping within 200 ms");
  assert.deepEqual(clock.pending(), [], "no timer left");
});
