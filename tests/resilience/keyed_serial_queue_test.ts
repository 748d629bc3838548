import assert from "node:assert/strict";
import { KeyedSerialQueue } from "../../src/resilience/keyed_serial_queue.ts";
import { flushMicrotasks } from "../support/virtual_clock.ts";

/** A task that runs until `finish()` is called; `started` says whether it began. */
function gate(log: string[], name: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    task: () => {
      log.push(`start ${name}`);
      return done.then(() => {
        log.push(`end ${name}`);
        return name;
      });
    },
    finish,
    fail,
  };
}

Deno.test("tasks of one key run one at a time, in the order queued", async () => {
  const queue = new KeyedSerialQueue<number>();
  const log: string[] = [];
  const a = gate(log, "a");
  const b = gate(log, "b");
  const first = queue.run(1, a.task);
  const second = queue.run(1, b.task);
  await flushMicrotasks();
  assert.deepEqual(log, ["start a"]);
  assert.equal(queue.pending(1), 2);
  b.finish(); // b's own work is done, but it has not started: it waits for a
  await flushMicrotasks();
  assert.deepEqual(log, ["start a"]);
  a.finish();
  assert.equal(await first, "a");
  assert.equal(await second, "b");
  assert.deepEqual(log, ["start a", "end a", "start b", "end b"]);
});

Deno.test("keys are independent: a hung key does not delay another", async () => {
  const queue = new KeyedSerialQueue<number>();
  const log: string[] = [];
  const hung = gate(log, "hung");
  queue.run(1, hung.task);
  assert.equal(await queue.run(2, () => Promise.resolve("other")), "other");
  assert.equal(queue.pending(1), 1, "still running");
  hung.finish();
  await queue.idle();
});

Deno.test("a failing task rejects only its own promise; the next task still runs", async () => {
  const queue = new KeyedSerialQueue<string>();
  const failed = queue.run("k", () => Promise.reject(new Error("boom")));
  const next = queue.run("k", () => Promise.resolve(42));
  const thrown = queue.run("k", () => {
    throw new Error("sync throw");
  });
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 42);
  await assert.rejects(thrown, /sync throw/);
  await queue.idle("k");
  assert.deepEqual(queue.keys(), []);
});

Deno.test("the entry of a key is dropped once its queue drains", async () => {
  const queue = new KeyedSerialQueue<number>();
  const log: string[] = [];
  const a = gate(log, "a");
  const running = queue.run(7, a.task);
  assert.deepEqual(queue.keys(), [7]);
  a.finish();
  await running;
  await queue.idle(7);
  assert.deepEqual(queue.keys(), []);
  assert.equal(queue.pending(7), 0);
});

Deno.test("onDrained runs once per drain, inside the queue: a task queued meanwhile waits for it", async () => {
  const log: string[] = [];
  let releaseHook!: () => void;
  const hookDone = new Promise<void>((resolve) => releaseHook = resolve);
  const queue = new KeyedSerialQueue<number>({
    onDrained: async (key) => {
      log.push(`drained ${key} (pending ${queue.pending(key)})`);
      await hookDone;
    },
  });
  await queue.run(1, () => Promise.resolve(log.push("a")));
  await flushMicrotasks();
  assert.deepEqual(log, ["a", "drained 1 (pending 0)"]);
  const late = queue.run(1, () => Promise.resolve(log.push("late")));
  await flushMicrotasks();
  assert.deepEqual(log, ["a", "drained 1 (pending 0)"], "queued during the hook: waits for it");
  releaseHook();
  await late;
  await queue.idle();
  assert.deepEqual(log, ["a", "drained 1 (pending 0)", "late", "drained 1 (pending 0)"]);
  assert.deepEqual(queue.keys(), []);
});

Deno.test("two tasks queued back to back drain once, after the second", async () => {
  const drained: number[] = [];
  const queue = new KeyedSerialQueue<number>({ onDrained: (key) => void drained.push(key) });
  const both = [queue.run(3, () => Promise.resolve()), queue.run(3, () => Promise.resolve())];
  await Promise.all(both);
  await queue.idle();
  assert.deepEqual(drained, [3]);
});

Deno.test("idle() waits for tasks queued while it waits", async () => {
  const queue = new KeyedSerialQueue<number>();
  const log: string[] = [];
  queue.run(1, async () => {
    await flushMicrotasks();
    queue.run(2, () => Promise.resolve(log.push("queued by a task")));
  });
  await queue.idle();
  assert.deepEqual(log, ["queued by a task"]);
  assert.deepEqual(queue.keys(), []);
});
