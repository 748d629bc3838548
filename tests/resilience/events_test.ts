import assert from "node:assert/strict";
import { TypedEmitter } from "../../src/resilience/events.ts";

type Events = { changed: { to: string }; tick: number };

Deno.test("listeners run in order and can be removed", () => {
  const events = new TypedEmitter<Events>();
  const seen: string[] = [];
  events.on("changed", (event) => seen.push(`1:${event.to}`));
  const off = events.on("changed", (event) => seen.push(`2:${event.to}`));
  events.emit("changed", { to: "up" });
  off();
  events.emit("changed", { to: "down" });
  assert.deepEqual(seen, ["1:up", "2:up", "1:down"]);
  assert.equal(events.listenerCount("changed"), 1);
});

Deno.test("once listeners run once", () => {
  const events = new TypedEmitter<Events>();
  const ticks: number[] = [];
  events.once("tick", (n) => ticks.push(n));
  events.emit("tick", 1);
  events.emit("tick", 2);
  assert.deepEqual(ticks, [1]);
  assert.equal(events.listenerCount("tick"), 0);
});

Deno.test("a throwing listener does not stop the others or the emitter", () => {
  const events = new TypedEmitter<Events>();
  const ticks: number[] = [];
  events.on("tick", () => {
    throw new Error("faulty listener");
  });
  events.on("tick", (n) => ticks.push(n));
  events.emit("tick", 7);
  assert.deepEqual(ticks, [7]);
});
