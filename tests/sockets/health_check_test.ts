/**
 * checkHealth probes in parallel with a deadline per socket: several hung peers (accept, never
 * answer) cost one timeout in total, not one each, and never delay the healthy rows.
 */
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { entryForPath } from "../../src/sockets/discovery.ts";
import { checkHealth } from "../../src/sockets/health_check.ts";
import { waitFor } from "../support/wait.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
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
    const clock = new VirtualClock(Date.UTC(2026, 0, 1));
    const toldAtMs: number[] = [];
    const checking = checkHealth(entries, {
      timeoutMs: 1000,
      clock,
      wallClock: () => new Date(clock.now()),
      onRow: () => toldAtMs.push(clock.now()),
    });
    // The healthy peers answer over real sockets, in no virtual time.
    await waitFor("the healthy rows", () => toldAtMs.length === 6 || undefined, 10_000, 5);
    await clock.advance(999);
    assert.equal(toldAtMs.length, 6, "no hung row before its deadline");
    await clock.advance(1);
    assert.equal(toldAtMs.length, 10, "every hung row ends at the one deadline");
    const rows = await checking;
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
    // Each hung probe waited for its own deadline, all at the same time (sequential probing
    // would end at 4000 ms); the healthy rows were validated when they answered, not then.
    const startedAt = Date.UTC(2026, 0, 1);
    assert.deepEqual(toldAtMs, [...Array(6).fill(startedAt), ...Array(4).fill(startedAt + 1000)]);
    const validated = (row: { ts: string }) => Date.parse(row.ts) - startedAt;
    assert.deepEqual(hung.map(validated), Array(4).fill(1000));
    assert.deepEqual(
      rows.filter((row) => row.status === "healthy").map(validated),
      Array(6).fill(0),
    );
  } finally {
    for (const peer of started) await peer.close();
  }
});

Deno.test("checkHealth: probers that ignore their timeout still end at one shared deadline", async () => {
  const entries = ["/a", "/b", "/c", "/d"].map((path) => ({
    ...entryForPath(path, {}, "niri"),
    file: { type: "socket" as const, uid: UID, dev: 1, ino: 1, mode: 0o755, stamp: "" },
  }));
  const clock = new VirtualClock(0);
  let endedAtMs: number | null = null;
  const checking = checkHealth(entries, {
    timeoutMs: 500,
    clock,
    probers: {
      niri: (path) =>
        path === "/b" ? Promise.resolve({ detail: "niri 25.11" }) : new Promise(() => {}),
    },
  }).finally(() => (endedAtMs = clock.now()));
  await clock.advance(499);
  assert.equal(endedAtMs, null, "no verdict before the deadline");
  await clock.advance(1000);
  assert.equal(endedAtMs, 500, "three deadlines one after the other would end at 1500 ms");
  const rows = await checking;
  assert.deepEqual(rows.map((row) => row.status), [
    "unresponsive",
    "healthy",
    "unresponsive",
    "unresponsive",
  ]);
});

Deno.test("checkHealth tells each row as it is ready, before the slowest probe ends", async () => {
  const entries = ["/slow", "/fast"].map((path) => ({
    ...entryForPath(path, {}, "kitty"),
    file: { type: "socket" as const, uid: UID, dev: 1, ino: 1, mode: 0o755, stamp: "" },
  }));
  const told: [number, string, number][] = [];
  const clock = new VirtualClock(0);
  const checking = checkHealth(entries, {
    timeoutMs: 400,
    clock,
    probers: {
      kitty: (path) => path === "/fast" ? Promise.resolve({}) : new Promise(() => {}),
    },
    onRow: (index, row) => told.push([index, row.status, clock.now()]),
  });
  await clock.advance(400);
  assert.equal(told.length, 2, "the slow row is told at its deadline");
  const rows = await checking;
  assert.deepEqual(told, [
    [1, "healthy", 0],
    [0, "unresponsive", 400],
  ]);
  assert.deepEqual(rows.map((row) => row.socket_path), ["/slow", "/fast"]);
});
