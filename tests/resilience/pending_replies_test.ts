import assert from "node:assert/strict";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { PendingReplies } from "../../src/resilience/pending_replies.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

function setup() {
  const clock = new VirtualClock(0);
  const timeouts: ConnectionError[] = [];
  const pending = new PendingReplies<string, number>({
    clock,
    onTimeout: (error) => {
      timeouts.push(error);
      pending.close(error); // what a connection owner does: the stream is unusable now
    },
  });
  const timeoutError = (name: string) => () => new ConnectionError("timeout", `${name} timed out`);
  return { clock, timeouts, pending, timeoutError };
}

Deno.test("PendingReplies: replies settle requests oldest first, each with what was noted", async () => {
  const { pending, timeoutError, clock } = setup();
  const first = pending.expect(1, 1000, timeoutError("first"));
  const second = pending.expect(2, 1000, timeoutError("second"));
  assert.equal(pending.size, 2);
  const oldest = pending.next()!;
  assert.equal(oldest.request, 1);
  oldest.resolve("one");
  const next = pending.next()!;
  assert.equal(next.request, 2);
  next.resolve("two");
  assert.deepEqual(await Promise.all([first, second]), ["one", "two"]);
  assert.equal(pending.next(), undefined, "a reply nobody waits for finds nothing");
  await clock.advance(5000);
  assert.equal(pending.size, 0);
});

Deno.test("PendingReplies: a timeout fires only when the clock reaches it, with its own error", async () => {
  const { pending, timeoutError, clock, timeouts } = setup();
  const early = pending.expect(1, 1000, timeoutError("early"));
  await clock.advance(500);
  const late = pending.expect(2, 1000, timeoutError("late"));
  early.catch(() => {});
  late.catch(() => {});
  await clock.advance(499);
  assert.equal(timeouts.length, 0, "nothing fires 1 ms before the first limit");
  await clock.advance(1);
  assert.deepEqual(timeouts.map((error) => error.message), ["early timed out"]);
  // The owner closed on the first timeout: every open request failed with that error.
  await assert.rejects(early, /early timed out/);
  await assert.rejects(late, /early timed out/);
  assert.deepEqual(clock.pending(), [], "close clears the shared timer");
});

Deno.test("PendingReplies: the requests share one clock timer; an answered request costs none", async () => {
  const { pending, timeoutError, clock, timeouts } = setup();
  const replies = [1, 2, 3].map((n) => pending.expect(n, 1000, timeoutError(`r${n}`)));
  assert.equal(clock.pending().length, 1);
  for (let i = 0; i < 3; i++) pending.next()!.resolve(`r${i}`);
  await Promise.all(replies);
  await clock.advance(1000); // the armed timer fires, finds nothing due, and does not re-arm
  assert.deepEqual(timeouts, []);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("PendingReplies: a reply can fail its request alone", async () => {
  const { pending, timeoutError } = setup();
  const bad = pending.expect(1, 1000, timeoutError("bad"));
  const good = pending.expect(2, 1000, timeoutError("good"));
  pending.next()!.reject(new ConnectionError("protocol", "unparsable reply"));
  pending.next()!.resolve("fine");
  await assert.rejects(bad, /unparsable reply/);
  assert.equal(await good, "fine");
  pending.close(new ConnectionError("closed", "done"));
});

Deno.test("PendingReplies: close fails every open request, then every later one; first close wins", async () => {
  const { pending, timeoutError, clock } = setup();
  const open = [1, 2].map((n) => pending.expect(n, 1000, timeoutError(`r${n}`)));
  pending.close(new ConnectionError("closed", "peer went away"));
  pending.close(new ConnectionError("closed", "second close"));
  for (const reply of open) await assert.rejects(reply, /peer went away/);
  await assert.rejects(pending.expect(3, 1000, timeoutError("r3")), /peer went away/);
  assert.equal(pending.size, 0);
  assert.deepEqual(clock.pending(), []);
});
