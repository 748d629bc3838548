import assert from "node:assert/strict";
import { EventQueue } from "../../src/compositor/event_queue.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

Deno.test("queued events are yielded in order; a normal close ends the iterator after them", async () => {
  const queue = new EventQueue<number>({ context: "niri" });
  queue.push(1);
  queue.push(2);
  queue.close(null);
  const seen: number[] = [];
  for await (const event of queue.events()) seen.push(event);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(await queue.closed, null);
});

Deno.test("a waiting iterator wakes up for a pushed event", async () => {
  const queue = new EventQueue<string>({ context: "sway" });
  const iterator = queue.events();
  const next = iterator.next();
  queue.push("focus");
  assert.deepEqual(await next, { value: "focus", done: false });
});

Deno.test("close with a reason drains the queue, then throws the reason", async () => {
  const queue = new EventQueue<number>({ context: "sway" });
  const reason = new ConnectionError("closed", "sway: connection closed by peer");
  queue.push(7);
  assert.equal(queue.close(reason), true);
  assert.equal(queue.close(null), false, "the first reason wins");
  const iterator = queue.events();
  assert.deepEqual(await iterator.next(), { value: 7, done: false });
  await assert.rejects(iterator.next(), (error) => error === reason);
  assert.equal(queue.closeReason, reason);
});

Deno.test("listeners take events instead of the queue; unsubscribing restores queueing", () => {
  const queue = new EventQueue<number>({ context: "niri" });
  const heard: number[] = [];
  const unsubscribe = queue.onEvent((event) => heard.push(event));
  queue.push(1);
  unsubscribe();
  queue.push(2);
  assert.deepEqual(heard, [1]);
  assert.equal(queue.queuedCount, 1);
});

Deno.test("a full queue refuses with busy and drops the event", () => {
  const queue = new EventQueue<number>({ context: "sway 812", maxQueued: 2 });
  assert.equal(queue.push(1), null);
  assert.equal(queue.push(2), null);
  const overflow = queue.push(3);
  assert.equal(overflow?.category, "busy");
  assert.match(overflow!.message, /^sway 812: more than 2 events/);
  assert.equal(queue.queuedCount, 2);
});

Deno.test("events pushed after close are ignored", () => {
  const queue = new EventQueue<number>({ context: "niri" });
  queue.close(null);
  assert.equal(queue.push(1), null);
  assert.equal(queue.queuedCount, 0);
});
