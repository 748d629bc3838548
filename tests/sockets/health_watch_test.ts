import assert from "node:assert/strict";
import type { HealthRow } from "../../src/sockets/health.ts";
import { diffHealth } from "../../src/sockets/health_watch.ts";

const row = (path: string, status: HealthRow["status"]): HealthRow => ({
  kind: "kitty",
  socket_path: path,
  owner_pid: 1,
  status,
  latency_ms: status === "healthy" ? 0.2 : null,
  ts: "2026-01-01T00:00:00.000+00:00",
  error: status === "healthy" ? null : { category: "refused", message: "x" },
  peer: null,
  current: false,
});

Deno.test("the first round reports every socket as changed from null, then updates", () => {
  const { events } = diffHealth(new Map(), [row("/a", "healthy")], "T");
  assert.deepEqual(events.map((event) => [event.event, event.socket_path]), [
    ["status_changed", "/a"],
    ["health_update", "/a"],
  ]);
  assert.equal(events[0]!.event === "status_changed" && events[0]!.from, null);
});

Deno.test("an unchanged status yields only a health_update", () => {
  const first = diffHealth(new Map(), [row("/a", "healthy")], "T1");
  const second = diffHealth(first.state, [row("/a", "healthy")], "T2");
  assert.deepEqual(second.events.map((event) => event.event), ["health_update"]);
});

Deno.test("a status change is reported with from and to", () => {
  const first = diffHealth(new Map(), [row("/a", "healthy")], "T1");
  const second = diffHealth(first.state, [row("/a", "unresponsive")], "T2");
  const change = second.events[0]!;
  assert.equal(change.event, "status_changed");
  assert.ok(change.event === "status_changed" && change.from === "healthy");
  assert.ok(change.event === "status_changed" && change.to === "unresponsive");
});

Deno.test("a socket that vanished from discovery changes to missing, once", () => {
  const first = diffHealth(new Map(), [row("/a", "healthy")], "T1");
  const second = diffHealth(first.state, [], "T2");
  assert.deepEqual(second.events.map((event) => [event.event, event.socket_path]), [
    ["status_changed", "/a"],
  ]);
  assert.ok(second.events[0]!.event === "status_changed" && second.events[0]!.to === "missing");
  assert.deepEqual(diffHealth(second.state, [], "T3").events, []);
});

Deno.test("events carry ts, never time", () => {
  const first = diffHealth(new Map(), [row("/a", "healthy")], "T1");
  for (const event of first.events) {
    assert.ok("ts" in event && !("time" in event), JSON.stringify(event));
  }
  const gone = diffHealth(first.state, [], "T2").events[0]!;
  assert.equal(gone.ts, "T2");
});
