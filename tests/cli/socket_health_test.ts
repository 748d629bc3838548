import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { basename, join } from "node:path";
import type { HealthRow } from "../../src/sockets/health.ts";
import { serveControlSocket } from "../../src/resilience/control_socket.ts";
import { startFakeNiri } from "../fakes/niri_server.ts";
import { runInProcess } from "../support/cli.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { type FakeSway, startFakeSway } from "../fakes/sway_peer.ts";
import { tempDir } from "../support/temp_dir.ts";
import { sleep, waitFor } from "../support/wait.ts";

const UID = process.getuid!();

const close = (server: FakeSway) => server.close();

function assertOneLineUsageError(result: { code: number; stderr: string }) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
}

Deno.test("the table lists each socket with status; exit 1 when one is stale", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const live = join(rt, `sway-ipc.${UID}.101.sock`);
  const stale = join(rt, `sway-ipc.${UID}.102.sock`);
  const server = await startFakeSway(live);
  await createStaleSockets([stale]);
  try {
    const result = await runInProcess(["socket-health"], {
      env: { XDG_RUNTIME_DIR: rt, SWAYSOCK: live },
    });
    assert.equal(result.code, 1);
    const lines = result.stdout.trim().split("\n");
    assert.match(lines[0]!, /^KIND\s+STATUS\s+LATENCY\s+PID\s+SOCKET/);
    assert.match(
      result.stdout,
      new RegExp(`sway\\s+healthy\\s+[\\d.]+ ms\\s+101\\s+${live} \\*\\s+sway 1.7`),
    );
    assert.match(
      result.stdout,
      new RegExp(`sway\\s+stale\\s+-\\s+102\\s+${stale}\\s+connection refused`),
    );
  } finally {
    await close(server);
  }
});

Deno.test("all healthy exits 0; a missing $SWAYSOCK is reported missing", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const live = join(rt, `sway-ipc.${UID}.101.sock`);
  const server = await startFakeSway(live);
  try {
    const ok = await runInProcess(["--json", "socket-health"], { env: { XDG_RUNTIME_DIR: rt } });
    assert.equal(ok.code, 0);
    const missing = await runInProcess(["--json", "socket-health"], {
      env: { XDG_RUNTIME_DIR: rt, SWAYSOCK: join(rt, `sway-ipc.${UID}.999.sock`) },
    });
    assert.equal(missing.code, 1);
    const rows = JSON.parse(missing.stdout).sockets;
    assert.equal(
      rows.find((row: { owner_pid: number }) => row.owner_pid === 999).status,
      "missing",
    );
  } finally {
    await close(server);
  }
});

Deno.test("3 hung peers at --timeout 1: each unresponsive, all in one timeout, healthy rows unaffected", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const servers: FakeSway[] = [];
  for (let i = 0; i < 7; i++) {
    servers.push(await startFakeSway(join(rt, `sway-ipc.${UID}.${200 + i}.sock`)));
  }
  for (let i = 0; i < 3; i++) {
    servers.push(await startFakeSway(join(rt, `sway-ipc.${UID}.${297 + i}.sock`), { hung: true }));
  }
  try {
    const t0 = performance.now();
    const result = await runInProcess(["--json", "socket-health", "--timeout", "1"], {
      env: { XDG_RUNTIME_DIR: rt },
    });
    const elapsedMs = performance.now() - t0;
    assert.equal(result.code, 1, result.stderr);
    const rows = JSON.parse(result.stdout).sockets;
    assert.equal(rows.length, 10);
    const hung = rows.filter((row: { owner_pid: number }) => row.owner_pid >= 297);
    assert.deepEqual(
      hung.map((row: { status: string }) => row.status),
      Array(3).fill("unresponsive"),
    );
    assert.equal(rows.filter((row: { status: string }) => row.status === "healthy").length, 7);
    for (const row of rows) assert.ok(!Number.isNaN(Date.parse(row.ts)));
    // One after the other, the three hung probes would take >= 3 s.
    assert.ok(elapsedMs >= 950 && elapsedMs < 2500, `took ${elapsedMs} ms`);
  } finally {
    for (const server of servers) await close(server);
  }
});

Deno.test("--path probes one socket (kind from its name), --kind overrides", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const live = join(rt, "custom.sock");
  const server = await startFakeSway(live);
  try {
    const unknown = await runInProcess(["socket-health", "--path", live], { env: {} });
    assertOneLineUsageError(unknown);
    assert.match(unknown.stderr, /pass --kind/);
    const result = await runInProcess(
      ["--json", "socket-health", "--path", live, "--kind", "sway"],
      {
        env: {},
      },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).sockets[0].status, "healthy");
    assert.equal(JSON.parse(result.stdout).sockets[0].current, false);
    const session = await runInProcess(
      ["--json", "socket-health", "--path", live, "--kind", "sway"],
      { env: { SWAYSOCK: live } },
    );
    assert.equal(JSON.parse(session.stdout).sockets[0].current, true, "--path $SWAYSOCK is *");
  } finally {
    await close(server);
  }
});

Deno.test("bad input: runtime dir missing/relative/wrong mode, --interval 0, unknown --kind", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  assertOneLineUsageError(await runInProcess(["socket-health"], { env: {} }));
  assertOneLineUsageError(
    await runInProcess(["socket-health"], { env: { XDG_RUNTIME_DIR: "relative/dir" } }),
  );
  chmodSync(rt, 0o750);
  assertOneLineUsageError(
    await runInProcess(["socket-health"], { env: { XDG_RUNTIME_DIR: rt } }),
  );
  chmodSync(rt, 0o700);
  const env = { XDG_RUNTIME_DIR: rt };
  for (const interval of ["0", "-5", "soon"]) {
    const result = await runInProcess(["socket-health", "--watch", "--interval", interval], {
      env,
    });
    assertOneLineUsageError(result);
    assert.match(result.stderr, /--interval/);
  }
  const kind = await runInProcess(["socket-health", "--kind", "wayfire"], { env });
  assertOneLineUsageError(kind);
  assert.match(kind.stderr, /--kind must be one of sway, i3, niri, kitty, tether/);
});

Deno.test("--watch without a terminal prints status_changed then health_update JSON lines and stops on signal", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const live = join(rt, `sway-ipc.${UID}.101.sock`);
  const server = await startFakeSway(live);
  const controller = new AbortController();
  let stdout = "";
  const running = runInProcess(["socket-health", "--watch", "--interval", "0.05"], {
    env: { XDG_RUNTIME_DIR: rt },
    signal: controller.signal,
    onStdout: (text) => void (stdout += text),
  });
  await waitFor("the first health_update", () => stdout.includes('"health_update"'));
  await close(server); // the socket file goes away with the listener: next round "missing"
  await waitFor("the change to missing", () => stdout.includes('"to":"missing"'));
  controller.abort();
  const result = await running;
  const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(events.slice(0, 2).map((event) => event.event), [
    "status_changed",
    "health_update",
  ]);
  assert.equal(events[0].to, "healthy");
  const vanished = events.find((event) =>
    event.event === "status_changed" && event.to === "missing"
  );
  assert.equal(vanished?.from, "healthy");
  assert.equal(vanished?.socket_path, live);
});

const GREY = "\x1b[90m";
const GREEN = "\x1b[32m";
const YELLOW = "\x1b[33m";
const RED = "\x1b[31m";

Deno.test("--watch on a terminal: grey until each result arrives, then green, yellow (> 500 ms), red", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const fast = join(rt, `sway-ipc.${UID}.101.sock`);
  const slow = join(rt, `sway-ipc.${UID}.102.sock`);
  const hung = join(rt, `sway-ipc.${UID}.103.sock`);
  const servers = [
    await startFakeSway(fast),
    await startFakeSway(slow, { replyDelayMs: 600 }),
    await startFakeSway(hung, { hung: true }),
  ];
  const controller = new AbortController();
  try {
    const running = runInProcess(["socket-health", "--watch", "--timeout", "1"], {
      env: { XDG_RUNTIME_DIR: rt, TERM: "xterm-256color" },
      signal: controller.signal,
      tty: true,
    });
    await sleep(1500); // one round: 1 s timeout
    controller.abort();
    const result = await running;
    assert.equal(result.code, 1, result.stderr); // the hung one is not healthy
    // Each redraw moves the cursor up over the header and the 3 lines and clears: split into
    // frames.
    const frames = result.stdout.split("\r\x1b[4A\x1b[J");
    // Paths below the runtime dir are shown relative to it (the header names the dir).
    const line = (frame: string, path: string) =>
      frame.split("\n").find((text) => text.includes(basename(path)))!;
    const colourOf = (frame: string, path: string) => line(frame, path).slice(0, 5);
    // First frame: discovered, nothing probed yet: all grey, "unknown".
    for (const path of [fast, slow, hung]) {
      assert.equal(colourOf(frames[0]!, path), GREY, frames[0]);
      assert.match(line(frames[0]!, path), /unknown .* not probed yet/);
      assert.match(
        frames[0]!.split("\n")[0]!,
        new RegExp(`^socket-health \\d\\d:\\d\\d:\\d\\d.* — ${rt}$`),
      );
    }
    // Then one frame per result, in the order they arrive.
    assert.equal(frames.length, 4, JSON.stringify(frames));
    assert.deepEqual([fast, slow, hung].map((path) => colourOf(frames[1]!, path)), [
      GREEN,
      GREY,
      GREY,
    ]);
    assert.deepEqual([fast, slow, hung].map((path) => colourOf(frames[2]!, path)), [
      GREEN,
      YELLOW,
      GREY,
    ]);
    assert.deepEqual([fast, slow, hung].map((path) => colourOf(frames[3]!, path)), [
      GREEN,
      YELLOW,
      RED,
    ]);
    const slowLatencyMs = Number(line(frames[3]!, slow).match(/healthy\s+(\d+) ms/)![1]);
    assert.ok(slowLatencyMs > 500, line(frames[3]!, slow));
    assert.match(line(frames[3]!, hung), /unresponsive/);
  } finally {
    for (const server of servers) await server.close();
  }
});

Deno.test("--watch on a terminal with NO_COLOR: no escape codes at all, one block per round", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const live = join(rt, `sway-ipc.${UID}.101.sock`);
  const server = await startFakeSway(live);
  const controller = new AbortController();
  try {
    const running = runInProcess(["socket-health", "--watch", "--interval", "0.1"], {
      env: { XDG_RUNTIME_DIR: rt, NO_COLOR: "1" },
      signal: controller.signal,
      tty: true,
    });
    await sleep(350); // a few 100 ms rounds
    controller.abort();
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.includes("\x1b"), false, JSON.stringify(result.stdout));
    const blocks = result.stdout.split("\n\n").filter(Boolean);
    assert.ok(blocks.length >= 2, result.stdout);
    for (const block of blocks) {
      const [header, ...lines] = block.split("\n");
      assert.match(header!, /^socket-health \d\d:\d\d:\d\d, every 100 ms/);
      assert.deepEqual(lines.length, 1, block);
      assert.match(lines[0]!, new RegExp(`^healthy +[\\d.]+ ms  sway   ${basename(live)}$`));
    }
  } finally {
    await server.close();
  }
});

/** A niri-named socket whose peer answers every request line with `reply` (a broken niri). */
async function brokenNiri(path: string, reply: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.on("data", () => socket.write(reply + "\n"));
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

Deno.test("niri: the fake niri is healthy (asked only Version); broken replies are unresponsive; a crashed one stale", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const niri = await startFakeNiri({ path: join(rt, "niri.wayland-1.4242.sock") });
  const crashed = await startFakeNiri({ path: join(rt, "niri.wayland-3.4245.sock") });
  await crashed.crash();
  const garbage = await brokenNiri(join(rt, "niri.wayland-2.4243.sock"), "not json");
  const err = await brokenNiri(
    join(rt, "niri.wayland-2.4244.sock"),
    '{"Err":"error parsing request"}',
  );
  try {
    const result = await runInProcess(["--json", "socket-health", "--kind", "niri"], {
      env: { XDG_RUNTIME_DIR: rt, NIRI_SOCKET: niri.path },
    });
    assert.equal(result.code, 1, result.stderr);
    const rows: HealthRow[] = JSON.parse(result.stdout).sockets;
    const byPid = new Map(rows.map((row) => [row.owner_pid, row]));
    assert.equal(rows.length, 4);
    const healthy = byPid.get(4242)!;
    assert.deepEqual(
      [healthy.kind, healthy.status, healthy.peer, healthy.current, healthy.error],
      ["niri", "healthy", "niri 25.11 (fake)", true, null],
    );
    assert.equal(typeof healthy.latency_ms, "number");
    assert.deepEqual(niri.requests, ["Version"], "the probe asks nothing but Version");
    assert.equal(byPid.get(4243)!.status, "unresponsive");
    assert.match(byPid.get(4243)!.error!.message, /not valid JSON/);
    assert.equal(byPid.get(4244)!.status, "unresponsive");
    assert.match(byPid.get(4244)!.error!.message, /Version failed: error parsing request/);
    assert.equal(byPid.get(4245)!.status, "stale");
  } finally {
    await niri.close();
    await new Promise((resolve) => garbage.close(resolve));
    await new Promise((resolve) => err.close(resolve));
  }
});

Deno.test("a bad --timeout is one line, exit 2", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  for (const timeout of ["0", "-1", "soon", "61", ""]) {
    const result = await runInProcess(["socket-health", "--timeout", timeout], {
      env: { XDG_RUNTIME_DIR: rt },
    });
    assertOneLineUsageError(result);
    assert.match(result.stderr, /--timeout must be (a duration|greater than 0)/);
    assert.equal(result.stdout, "");
  }
});

Deno.test("--timeout and --interval take the one duration syntax (500ms, 2s, plain seconds)", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  for (const timeout of ["500ms", "0.5s", "0.5"]) {
    const result = await runInProcess(["--json", "socket-health", "--timeout", timeout], {
      env: { XDG_RUNTIME_DIR: rt },
    });
    assert.equal(result.code, 0, `${timeout}: ${result.stderr}`);
    assert.deepEqual(JSON.parse(result.stdout), { sockets: [] });
  }
  const cases: [string, RegExp][] = [["1000h", /longest timer/], ["25h", /at most 86400s/]];
  for (const [interval, message] of cases) {
    const result = await runInProcess(["socket-health", "--watch", "--interval", interval], {
      env: { XDG_RUNTIME_DIR: rt },
    });
    assertOneLineUsageError(result);
    assert.match(result.stderr, message);
  }
});

Deno.test("--path to nothing: missing (exit 1) when its kind is known, else one usage line", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const gone = join(rt, `sway-ipc.${UID}.4194305.sock`);
  const byName = await runInProcess(["--json", "socket-health", "--path", gone], { env: {} });
  assert.equal(byName.code, 1, byName.stderr);
  const row = JSON.parse(byName.stdout).sockets[0];
  assert.deepEqual([row.kind, row.status, row.owner_pid, row.error], [
    "sway",
    "missing",
    4194305,
    { category: "not_configured", message: "socket file does not exist" },
  ]);
  const typo = join(rt, "typo.sock");
  const byKind = await runInProcess(
    ["--json", "socket-health", "--path", typo, "--kind", "kitty"],
    { env: {} },
  );
  assert.equal(byKind.code, 1, byKind.stderr);
  assert.equal(JSON.parse(byKind.stdout).sockets[0].status, "missing");
  const unknown = await runInProcess(["socket-health", "--path", typo], { env: {} });
  assertOneLineUsageError(unknown);
  assert.match(unknown.stderr, /typo\.sock does not exist, .*pass --kind/);
});

Deno.test("--watch --json on a terminal prints JSON lines, not the live table", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  const server = await startFakeSway(join(rt, `sway-ipc.${UID}.101.sock`));
  const controller = new AbortController();
  try {
    const running = runInProcess(["--json", "socket-health", "--watch", "--interval", "0.05"], {
      env: { XDG_RUNTIME_DIR: rt },
      signal: controller.signal,
      tty: true,
    });
    await sleep(300); // a few 50 ms rounds
    controller.abort();
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.includes("\x1b"), false, "no escape codes");
    const events = result.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(events.length >= 3, result.stdout);
    assert.deepEqual(events.slice(0, 2).map((event) => event.event), [
      "status_changed",
      "health_update",
    ]);
    assert.ok(events.slice(2).every((event) => event.event === "health_update"));
  } finally {
    await close(server);
  }
});

Deno.test("a tether daemon whose upstream is reconnecting is degraded in the table, in JSON and with NO_COLOR, exit 1", async () => {
  await using rtDir = await tempDir("tether-cli-health-");
  const rt = rtDir.path;
  let upstream = "reconnecting";
  const daemon = await serveControlSocket(join(rt, "tether", "focus.sock"), {
    status: () => ({
      daemon: "focus",
      pid: process.pid,
      uptime_ms: 5000,
      reconnection_count: 2,
      connection: {
        status: upstream,
        latency_ms: null,
        error: upstream === "connected"
          ? null
          : { category: "refused", message: "no live sway IPC socket" },
      },
    }),
  });
  try {
    const env = { XDG_RUNTIME_DIR: rt, NO_COLOR: "1" };
    const table = await runInProcess(["socket-health", "--kind", "tether"], { env });
    assert.equal(table.code, 1, table.stderr);
    assert.match(
      table.stdout,
      /^tether +degraded .*focus\.sock +its upstream is reconnecting: no live sway IPC socket/m,
    );
    assert.doesNotMatch(table.stdout, /healthy/);
    const json = await runInProcess(["--json", "socket-health", "--kind", "tether"], { env });
    assert.equal(json.code, 1);
    const row = JSON.parse(json.stdout).sockets[0];
    assert.equal(row.status, "degraded");
    assert.equal(row.connection_status, "reconnecting");
    assert.equal(row.error.message, "its upstream is reconnecting: no live sway IPC socket");
    upstream = "connected";
    const healthy = await runInProcess(["--json", "socket-health", "--kind", "tether"], { env });
    assert.equal(healthy.code, 0, "connected upstream: healthy again");
    assert.equal(JSON.parse(healthy.stdout).sockets[0].status, "healthy");
  } finally {
    await daemon.close();
  }
});
