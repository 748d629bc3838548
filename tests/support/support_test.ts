/** The test support itself: loud waits, a clock that waits for advance, self-removing temp dirs. */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./temp_dir.ts";
import { flushMicrotasks, VirtualClock } from "./virtual_clock.ts";
import { settleWithin, sleep, waitFor } from "./wait.ts";

Deno.test("waitFor resolves with the first value that is neither undefined nor false", async () => {
  let calls = 0;
  const value = await waitFor("the third call", () => (++calls === 3 ? "ready" : false), 1000, 1);
  assert.equal(value, "ready");
  assert.equal(calls, 3);
});

Deno.test("waitFor throws on timeout, naming what it waited for and the state it ended in", async () => {
  let polls = 0;
  await assert.rejects(
    waitFor(() => `the impossible after ${polls} polls`, () => void polls++, 50, 5),
    (error: Error) =>
      /^timed out after 50 ms waiting for the impossible after \d+ polls$/.test(error.message) &&
      polls > 1,
  );
});

Deno.test("waitFor fails at once with the error of a check that throws", async () => {
  const startedAt = Date.now();
  await assert.rejects(
    waitFor("a crash", () => {
      throw new Error("peer gone");
    }, 10_000),
    /peer gone/,
  );
  assert.ok(Date.now() - startedAt < 1000);
});

Deno.test("settleWithin passes a settled promise through and throws on a hung one", async () => {
  assert.equal(await settleWithin("a quick reply", Promise.resolve(7), 1000), 7);
  await assert.rejects(settleWithin("a hung reply", new Promise(() => {}), 20), {
    message: "timed out after 20 ms waiting for a hung reply",
  });
});

Deno.test("sleep waits at least its time", async () => {
  const startedAt = performance.now();
  await sleep(30);
  assert.ok(performance.now() - startedAt >= 29);
});

Deno.test("tempDir makes a 0700 directory and removes it, contents and all, on disposal", async () => {
  let path = "";
  {
    await using dir = await tempDir("tether-support-test-");
    path = dir.path;
    assert.equal(Deno.statSync(path).mode! & 0o777, 0o700);
    writeFileSync(join(path, "file"), "x");
  }
  assert.equal(existsSync(path), false);
});

Deno.test("virtual clock: sleep resolves only once advance reaches its time, never on its own", async () => {
  const clock = new VirtualClock(0);
  let woke = false;
  const sleeping = clock.sleep(100).then(() => (woke = true));
  await flushMicrotasks();
  await sleep(20); // real time passing moves nothing
  assert.equal(woke, false);
  await clock.advance(99);
  assert.equal(woke, false, "1 ms early");
  await clock.advance(1);
  await sleeping;
  assert.equal(clock.now(), 100);
});
