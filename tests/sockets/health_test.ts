import assert from "node:assert/strict";
import { isoTimestamp } from "../../src/platform/time_format.ts";
import { allHealthy, classifyHealth } from "../../src/sockets/health.ts";
import type { ProbeOutcome } from "../../src/sockets/probe.ts";
import type { SocketEntry } from "../../src/sockets/socket_entry.ts";

const AT = new Date("2026-01-02T03:04:05.000Z");
const entry = (overrides: Partial<SocketEntry> = {}): SocketEntry => ({
  kind: "sway",
  protocol: "i3ipc",
  path: "/run/user/1000/sway-ipc.1000.812.sock",
  ownerPid: 812,
  nameUid: 1000,
  current: true,
  inRuntimeDir: true,
  file: { type: "socket", uid: 1000, dev: 1, ino: 2, mode: 0o755, stamp: "1/1/1" },
  ...overrides,
});
const failure = (category: string): ProbeOutcome =>
  ({ answered: false, latencyMs: 1000, category, error: `${category} text` }) as ProbeOutcome;

Deno.test("an answer is healthy with its latency and peer", () => {
  const row = classifyHealth(
    entry(),
    { answered: true, latencyMs: 0.4567, answer: { detail: "sway 1.7" } },
    AT,
  );
  assert.deepEqual(row, {
    kind: "sway",
    socket_path: "/run/user/1000/sway-ipc.1000.812.sock",
    owner_pid: 812,
    status: "healthy",
    latency_ms: 0.46,
    ts: isoTimestamp(AT),
    error: null,
    peer: "sway 1.7",
    current: true,
  });
});

Deno.test("refused is stale, timeout/busy/EACCES unresponsive, ENOENT missing", () => {
  assert.equal(classifyHealth(entry(), failure("refused"), AT).status, "stale");
  assert.equal(classifyHealth(entry(), failure("timeout"), AT).status, "unresponsive");
  assert.equal(classifyHealth(entry(), failure("busy"), AT).status, "unresponsive");
  assert.equal(classifyHealth(entry(), failure("auth"), AT).status, "unresponsive");
  assert.equal(classifyHealth(entry(), failure("not_configured"), AT).status, "missing");
  assert.equal(classifyHealth(entry(), failure("timeout"), AT).latency_ms, null);
  assert.deepEqual(classifyHealth(entry(), failure("timeout"), AT).error, {
    category: "timeout",
    message: "timeout text",
  });
});

Deno.test("no file is missing; a file or directory named like a socket is stale", () => {
  assert.equal(classifyHealth(entry({ file: null }), null, AT).status, "missing");
  const file = { type: "file" as const, uid: 1000, dev: 1, ino: 3, mode: 0o644, stamp: "1/1/1" };
  const row = classifyHealth(entry({ file }), null, AT);
  assert.equal(row.status, "stale");
  assert.match(row.error!.message, /not a socket/);
});

Deno.test("a symlink is judged by what answers through it, and says so", () => {
  const file = { type: "symlink" as const, uid: 1000, dev: 1, ino: 3, mode: 0o777, stamp: "1/1/1" };
  const row = classifyHealth(
    entry({ file }),
    { answered: true, latencyMs: 1, answer: { detail: "sway 1.7" } },
    AT,
  );
  assert.equal(row.status, "healthy");
  assert.match(row.peer!, /symlink/);
});

Deno.test("tether daemons report reconnections, uptime and their PID from status", () => {
  const row = classifyHealth(
    entry({ kind: "tether", protocol: "tether", ownerPid: null, nameUid: null }),
    {
      answered: true,
      latencyMs: 2,
      answer: {
        detail: "tether focus",
        daemon: {
          daemon: "focus",
          pid: 99,
          uptime_ms: 12_500,
          reconnection_count: 3,
          connection: { status: "connected", latency_ms: 41.5, error: null },
        },
      },
    },
    AT,
  );
  assert.equal(row.owner_pid, 99);
  assert.equal(row.reconnection_count, 3);
  assert.equal(row.uptime_ms, 12_500);
  assert.equal(row.status, "healthy");
  assert.equal(row.connection_status, "connected");
  assert.equal(row.connection_latency_ms, 41.5);
});

Deno.test("allHealthy is true only when every row is healthy", () => {
  const healthy = classifyHealth(entry(), { answered: true, latencyMs: 1, answer: {} }, AT);
  assert.equal(allHealthy([healthy]), true);
  assert.equal(allHealthy([healthy, classifyHealth(entry(), failure("refused"), AT)]), false);
  assert.equal(allHealthy([]), true);
});

Deno.test("refused while a process listens on that file (inode) is unresponsive (full backlog)", () => {
  assert.equal(classifyHealth(entry(), failure("refused"), AT, new Set([3])).status, "stale");
  const row = classifyHealth(entry(), failure("refused"), AT, new Set([entry().file!.ino]));
  assert.equal(row.status, "unresponsive");
  assert.match(row.error!.message, /backlog full/);
});

Deno.test("a tether daemon whose upstream is not connected is degraded, with the reason, and not healthy", () => {
  for (const upstream of ["reconnecting", "connecting", "disconnected"]) {
    const row = classifyHealth(
      entry({ kind: "tether", protocol: "tether", ownerPid: null, nameUid: null }),
      {
        answered: true,
        latencyMs: 2,
        answer: {
          detail: "tether focus",
          daemon: {
            daemon: "focus",
            pid: 99,
            uptime_ms: 1000,
            reconnection_count: 1,
            connection: {
              status: upstream,
              latency_ms: null,
              error: { category: "refused", message: "sway: connection refused" },
            },
          },
        },
      },
      AT,
    );
    assert.equal(row.status, "degraded", upstream);
    assert.deepEqual(row.error, {
      category: "closed",
      message: `its upstream is ${upstream}: sway: connection refused`,
    });
    assert.equal(allHealthy([row]), false, "degraded makes the exit code 1");
  }
});
