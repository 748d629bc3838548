import assert from "node:assert/strict";
import { shutDownWithin } from "../../src/focus/shutdown.ts";
import { flushMicrotasks, VirtualClock } from "../support/virtual_clock.ts";

Deno.test("shutDownWithin runs the steps in order, each with the time left", async () => {
  const clock = new VirtualClock();
  const calls: string[] = [];
  const shutdown = shutDownWithin(1500, [
    {
      name: "a",
      run: async (remainingMs) => {
        calls.push(`a ${remainingMs}`);
        await clock.sleep(400);
      },
    },
    {
      name: "b",
      run: (remainingMs) => {
        calls.push(`b ${remainingMs}`);
        return Promise.resolve();
      },
    },
  ], clock);
  await flushMicrotasks();
  await clock.advance(400);
  assert.deepEqual(await shutdown, []);
  assert.deepEqual(calls, ["a 1500", "b 1100"]);
});

Deno.test("shutDownWithin: a hung step is cut off at the deadline and the next still starts", async () => {
  const clock = new VirtualClock();
  const started: string[] = [];
  let settled = false;
  const shutdown = shutDownWithin(1500, [
    {
      name: "compositor connection",
      run: () => {
        started.push("compositor connection");
        return new Promise(() => {}); // never settles
      },
    },
    {
      name: "control socket",
      run: (remainingMs) => {
        started.push(`control socket ${remainingMs}`);
        return Promise.resolve();
      },
    },
  ], clock).then((problems) => {
    settled = true;
    return problems;
  });
  await flushMicrotasks();
  await clock.advance(1499);
  assert.equal(settled, false);
  await clock.advance(1);
  await clock.advance(0);
  assert.deepEqual(await shutdown, ["compositor connection: still running at the deadline"]);
  assert.deepEqual(started, ["compositor connection", "control socket 0"]);
  assert.equal(clock.now() - Date.UTC(2026, 0, 1), 1500, "returned at the deadline");
});

Deno.test("shutDownWithin: a failing step is reported and the others run", async () => {
  const clock = new VirtualClock();
  const ran: string[] = [];
  const problems = await shutDownWithin(1500, [
    { name: "kitty connections", run: () => Promise.reject(new Error("boom")) },
    {
      name: "control socket",
      run: () => {
        ran.push("control socket");
        return Promise.resolve();
      },
    },
  ], clock);
  assert.deepEqual(problems, ["kitty connections: boom"]);
  assert.deepEqual(ran, ["control socket"]);
});
