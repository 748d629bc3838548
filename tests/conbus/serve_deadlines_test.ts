import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { ConbusDaemon, STOP_GRACE_MS } from "../../src/conbus/bridge_daemon.ts";
import { REPLY_ALLOWANCE_MS, sendViaDaemon } from "../../src/conbus/daemon_client.ts";
import { parseSendRequest } from "../../src/conbus/daemon_protocol.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { FakeConbusBridge } from "../fakes/conbus_bridge.ts";
import { runInProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { sleep, waitFor } from "../support/wait.ts";

const logger = createLogger({ level: "silent" });
/** A read to a module that is not on the bus: no reply, ever. */
const OFFLINE_READ = "S0099999999F02D12";

Deno.test("send through a serve that never answers (SIGSTOPped) gives up at its own --timeout", async () => {
  await using rootDir = await tempDir("tether-stopped-serve-");
  const root = rootDir.path;
  const runtimeDir = join(root, "run");
  mkdirSync(join(runtimeDir, "tether"), { recursive: true, mode: 0o700 });
  const sockets: Socket[] = [];
  // A stopped process's socket: connections complete in the kernel, nothing is ever read.
  const stopped = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) =>
    stopped.listen(join(runtimeDir, "tether", "conbus.sock"), resolve)
  );
  try {
    const started = performance.now();
    const result = await runInProcess(
      [
        "conbus",
        "send",
        "--json",
        "--timeout",
        "0.5",
        "--host",
        "127.0.0.1",
        "--port",
        "9",
        "S0020044964F02D12",
      ],
      { env: { PATH: process.env.PATH, HOME: join(root, "home"), XDG_RUNTIME_DIR: runtimeDir } },
    );
    const elapsedMs = performance.now() - started;
    assert.equal(result.code, 1, result.stderr);
    assert.ok(
      elapsedMs < 500 + REPLY_ALLOWANCE_MS + 500,
      `took ${elapsedMs} ms (used to be 30.5 s)`,
    );
    assert.equal(JSON.parse(result.stdout).outcome, "outcome_unknown");
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => stopped.close(resolve));
  }
});

async function withServe(
  test: (daemon: ConbusDaemon, bridge: FakeConbusBridge, socketPath: string) => Promise<void>,
) {
  await using temp = await tempDir("tether-serve-deadlines-");
  const dir = temp.path;
  const socketPath = join(dir, "tether", "conbus.sock");
  const bridge = await FakeConbusBridge.start();
  const daemon = await ConbusDaemon.start({
    endpoint: { host: "127.0.0.1", port: bridge.port },
    socketPath,
    minGapMs: 0,
    logger,
    reconnectPolicy: exponentialPolicy({ maxAttempts: 0, initialDelayMs: 50, jitter: "none" }),
  });
  try {
    await daemon.waitForConnected(AbortSignal.timeout(5000));
    await test(daemon, bridge, socketPath);
  } finally {
    await daemon.stop();
    await bridge.close();
  }
}

Deno.test("one slow request does not hold another client past its timeout, and the late one is never sent", async () => {
  await withServe(async (_daemon, bridge, socketPath) => {
    const slow = sendViaDaemon(socketPath, {
      telegrams: [OFFLINE_READ],
      timeout_ms: 1500,
      quiet_ms: 300,
    });
    await waitFor("the slow one at the bridge", () => bridge.receivedCount === 1);
    const started = performance.now();
    await assert.rejects(
      sendViaDaemon(socketPath, {
        telegrams: ["S0020044964F02D12"],
        timeout_ms: 300,
        quiet_ms: 100,
      }),
      (error) => error instanceof ConnectionError && error.category === "timeout",
    );
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 300 + REPLY_ALLOWANCE_MS + 300, `waited ${elapsedMs} ms`);
    assert.equal((await slow)?.accepted, true);
    await sleep(100); // time for a wrongly kept request to go out
    assert.ok(
      !bridge.received.some((frame) => frame.includes("S0020044964F02D12")),
      "the queued request whose time ran out was not sent",
    );
  });
});

Deno.test("stop (SIGTERM) ends within a bounded time with a huge request in flight and others queued", async () => {
  await withServe(async (daemon, bridge, socketPath) => {
    const huge = sendViaDaemon(socketPath, {
      telegrams: [OFFLINE_READ],
      timeout_ms: 100_000,
      quiet_ms: 300,
    });
    await waitFor("the huge one at the bridge", () => bridge.receivedCount === 1);
    const queued = sendViaDaemon(socketPath, {
      telegrams: ["S0020044964F02D12"],
      timeout_ms: 100_000,
      quiet_ms: 300,
    });
    await waitFor("the second request queued", () => daemon.status().queue_length === 2);
    const outcomes = [huge, queued].map((reply) => reply.then((value) => value, (error) => error));
    const started = performance.now();
    await daemon.stop();
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 2 * STOP_GRACE_MS + 1500, `stop took ${elapsedMs} ms`);
    const [inFlight, waiting] = await Promise.all(outcomes);
    assert.equal(inFlight?.accepted, true, String(inFlight));
    assert.equal(inFlight.report.outcome, "no_reply"); // a read, cut: nothing to be unsure about
    assert.match(String(waiting), /shutting down; nothing sent/);
  });
});

Deno.test("durations past the longest timer are a usage error (exit 2), not an instant failure", async () => {
  const result = await runInProcess([
    "conbus",
    "send",
    "--timeout",
    "2147484",
    "--direct",
    "--host",
    "127.0.0.1",
    "S0020044964F02D12",
  ]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(
    result.stderr.trim(),
    /^tether: --timeout "2147484" is longer than the longest timer \(2147483\.647s, about 24\.8 days\)$/,
  );
  assert.equal(result.stderr.trim().split("\n").length, 1);
  assert.throws(
    () =>
      parseSendRequest({
        cmd: "send",
        telegrams: ["S0020044964F02D12"],
        timeout_ms: 2 ** 31,
        quiet_ms: 1,
      }),
    /"timeout_ms" must be at most 2147483647/,
  );
});
