/**
 * checkHealth probes in parallel with a deadline per socket: several hung peers (accept, never
 * answer) cost one timeout in total, not one each, and never delay the healthy rows.
 */
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { entryForPath } from "../../src/sockets/discovery.ts";
import { checkHealth } from "../../src/sockets/health_check.ts";
import { type FakeSway, startFakeSway } from "../fakes/sway_peer.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

async function peers(rt: string, hung: number, healthy: number): Promise<FakeSway[]> {
  const started: FakeSway[] = [];
  for (let i = 0; i < hung + healthy; i++) {
    const path = join(rt, `sway-ipc.${UID}.${i < hung ? 300 + i : 400 + i}.sock`);
    started.push(await startFakeSway(path, { hung: i < hung }));
  }
  return started;
}

Deno.test("checkHealth: 4 hung peers at a 1 s timeout cost one timeout, not four", async () => {
  await using rtDir = await tempDir("tether-health-check-");
  const rt = rtDir.path;
  chmodSync(rt, 0o700);
  const started = await peers(rt, 4, 6);
  try {
    const entries = started.map((peer) => entryForPath(peer.path, {}, "sway"));
    const t0 = performance.now();
    const rows = await checkHealth(entries, { timeoutMs: 1000 });
    const elapsedMs = performance.now() - t0;
    const hung = rows.filter((row) => row.owner_pid! < 400);
    assert.equal(hung.length, 4);
    for (const row of hung) {
      assert.equal(row.status, "unresponsive", JSON.stringify(row));
      assert.match(row.error!.message, /no answer before the timeout/);
    }
    assert.deepEqual(
      rows.filter((row) => row.owner_pid! >= 400).map((row) => row.status),
      Array(6).fill("healthy"),
    );
    // Each hung probe waited for its own deadline ...
    assert.ok(elapsedMs >= 950, `ended after ${elapsedMs} ms, before the timeout`);
    // ... all at the same time: sequential probing would need >= 4000 ms.
    assert.ok(elapsedMs < 2500, `took ${elapsedMs} ms: the hung probes did not overlap`);
    // The healthy rows were validated when they answered, long before the hung ones ended.
    const validated = (row: { ts: string }) => Date.parse(row.ts);
    const lastHealthy = Math.max(...rows.filter((row) => row.status === "healthy").map(validated));
    const firstHung = Math.min(...hung.map(validated));
    assert.ok(firstHung - lastHealthy >= 500, "a healthy row waited for a hung one");
  } finally {
    for (const peer of started) await peer.close();
  }
});

Deno.test("checkHealth: probers that ignore their timeout still end at one shared deadline", async () => {
  const entries = ["/a", "/b", "/c", "/d"].map((path) => ({
    ...entryForPath(path, {}, "niri"),
    file: { type: "socket" as const, uid: UID, dev: 1, ino: 1, mode: 0o755, stamp: "" },
  }));
  const t0 = performance.now();
  const rows = await checkHealth(entries, {
    timeoutMs: 500,
    probers: {
      niri: (path) =>
        path === "/b" ? Promise.resolve({ detail: "niri 25.11" }) : new Promise(() => {}),
    },
  });
  const elapsedMs = performance.now() - t0;
  assert.deepEqual(rows.map((row) => row.status), [
    "unresponsive",
    "healthy",
    "unresponsive",
    "unresponsive",
  ]);
  // Three 500 ms deadlines one after the other would take 1500 ms.
  assert.ok(elapsedMs >= 480 && elapsedMs < 1200, `took ${elapsedMs} ms`);
});

Deno.test("checkHealth tells each row as it is ready, before the slowest probe ends", async () => {
  const entries = ["/slow", "/fast"].map((path) => ({
    ...entryForPath(path, {}, "kitty"),
    file: { type: "socket" as const, uid: UID, dev: 1, ino: 1, mode: 0o755, stamp: "" },
  }));
  const told: [number, string, number][] = [];
  const t0 = performance.now();
  const rows = await checkHealth(entries, {
    timeoutMs: 400,
    probers: {
      kitty: (path) => path === "/fast" ? Promise.resolve({}) : new Promise(() => {}),
    },
    onRow: (index, row) => told.push([index, row.status, performance.now() - t0]),
  });
  assert.deepEqual(told.map(([index, status]) => [index, status]), [
    [1, "healthy"],
    [0, "unresponsive"],
  ]);
  assert.ok(told[0]![2] < 200, `the fast row came after ${told[0]![2]} ms`);
  assert.deepEqual(rows.map((row) => row.socket_path), ["/slow", "/fast"]);
});
