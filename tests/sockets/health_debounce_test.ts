import assert from "node:assert/strict";
import type { HealthRow } from "../../src/sockets/health.ts";
import { type DebouncedSocket, debounceHealth } from "../../src/sockets/health_debounce.ts";

const row = (
  status: HealthRow["status"],
  ts: string,
  latency: number | null = null,
): HealthRow => ({
  kind: "sway",
  socket_path: "/run/user/1000/sway-ipc.1000.812.sock",
  owner_pid: 812,
  status,
  latency_ms: latency,
  ts,
  error: status === "healthy" ? null : { category: "refused", message: "connection refused" },
  peer: null,
  current: false,
});

function fold(rows: HealthRow[], failAfter: number): DebouncedSocket[] {
  let state = new Map<string, DebouncedSocket>();
  const shown: DebouncedSocket[] = [];
  for (const each of rows) {
    state = debounceHealth(state, [each], failAfter);
    shown.push(state.get(each.socket_path)!);
  }
  return shown;
}

Deno.test("a socket counts as down only after N consecutive failed probes, keeping the last good latency", () => {
  const shown = fold([
    row("healthy", "t1", 0.42),
    row("stale", "t2"),
    row("stale", "t3"),
    row("stale", "t4"),
  ], 3);
  assert.deepEqual(shown.map((socket) => socket.status), [
    "healthy",
    "healthy",
    "healthy",
    "stale",
  ]);
  assert.deepEqual(shown.map((socket) => socket.failures), [0, 1, 2, 3]);
  const down = shown.at(-1)!;
  assert.equal(down.latency_ms, 0.42, "the last good latency is kept");
  assert.equal(down.last_good_at, "t1");
  assert.deepEqual(down.last_error, { category: "refused", message: "connection refused" });
});

Deno.test("one answer resets the count; a never-good socket is unknown until N failures", () => {
  const flapping = fold([
    row("healthy", "t1", 1),
    row("stale", "t2"),
    row("stale", "t3"),
    row("healthy", "t4", 2),
    row("stale", "t5"),
  ], 3);
  assert.ok(flapping.every((socket) => socket.status === "healthy"), "never shown down");
  assert.equal(flapping.at(-1)!.latency_ms, 2);
  const never = fold([row("stale", "t1"), row("stale", "t2")], 2);
  assert.deepEqual(never.map((socket) => socket.status), ["unknown", "stale"]);
  assert.equal(fold([row("stale", "t1")], 1)[0]!.status, "stale", "--fail-after 1: at once");
});

Deno.test("a socket missing from a round is dropped", () => {
  const state = debounceHealth(new Map(), [row("healthy", "t1", 1)], 3);
  assert.equal(debounceHealth(state, [], 3).size, 0);
});
