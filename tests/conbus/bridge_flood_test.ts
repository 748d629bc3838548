import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { ConbusDaemon } from "../../src/conbus/bridge_daemon.ts";
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { requestControl } from "../../src/resilience/control_socket.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { tempDir } from "../support/temp_dir.ts";
import { sleep } from "../support/wait.ts";

Deno.test("a bridge flooding valid telegrams does not starve serve's control socket", async () => {
  const batch = Buffer.from(telegramFromBody("E07L06I80M").frame.repeat(4096), "latin1");
  const sockets: Socket[] = [];
  let flooding = true;
  let sentBytes = 0;
  const bridge = createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => {});
    // As fast as serve takes it, never more than 1 MB queued here.
    const pump = setInterval(() => {
      if (!flooding || socket.destroyed) return clearInterval(pump);
      while (socket.writableLength < 1_000_000) {
        socket.write(batch);
        sentBytes += batch.length;
      }
    }, 1);
  });
  await new Promise<void>((resolve) => bridge.listen(0, "127.0.0.1", resolve));
  await using temp = await tempDir("tether-bridge-flood-");
  const dir = temp.path;
  const socketPath = join(dir, "tether", "conbus.sock");
  let shown = 0;
  const daemon = await ConbusDaemon.start({
    endpoint: { host: "127.0.0.1", port: (bridge.address() as { port: number }).port },
    socketPath,
    minGapMs: 0,
    logger: createLogger({ level: "silent" }),
    onIdleTelegram: () => shown++,
    reconnectPolicy: exponentialPolicy({ maxAttempts: 0, initialDelayMs: 50, jitter: "none" }),
  });
  try {
    await daemon.waitForConnected(AbortSignal.timeout(5000));
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      const started = performance.now();
      await requestControl(socketPath, "status", { timeoutMs: 1000 });
      latencies.push(performance.now() - started);
      await sleep(100); // status requests spread over the flood
    }
    assert.ok(sentBytes > 1_000_000, `the bridge flooded ${sentBytes} bytes`);
    assert.ok(Math.max(...latencies) < 1000, `status latencies ${latencies.map(Math.round)} ms`);
    assert.ok(shown <= 300, `${shown} idle telegrams printed (rate-limited to 100/s)`);
  } finally {
    flooding = false;
    await daemon.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => bridge.close(resolve));
  }
});

Deno.test("a bridge that closes every connection at once: reconnect lines per doubling, not two per cycle", async () => {
  let accepted = 0;
  const bridge = createServer((socket) => {
    accepted++;
    socket.on("error", () => {});
    socket.end(); // half-close right after accepting
  });
  await new Promise<void>((resolve) => bridge.listen(0, "127.0.0.1", resolve));
  await using temp = await tempDir("tether-bridge-flap-");
  const dir = temp.path;
  const lines: string[] = [];
  const daemon = await ConbusDaemon.start({
    endpoint: { host: "127.0.0.1", port: (bridge.address() as { port: number }).port },
    socketPath: join(dir, "tether", "conbus.sock"),
    minGapMs: 0,
    logger: createLogger({ level: "info", journal: false, write: (line) => lines.push(line) }),
    reconnectPolicy: exponentialPolicy({ maxAttempts: 0, initialDelayMs: 20, jitter: "none" }),
  });
  try {
    await sleep(1500); // the window the reconnect lines are counted in
  } finally {
    await daemon.stop();
    await new Promise((resolve) => bridge.close(resolve));
  }
  const cycles = accepted;
  const statusLines = lines.filter((line) => / -> /.test(line));
  assert.ok(cycles >= 16, `${cycles} connect/close cycles`);
  assert.ok(
    statusLines.length <= 2 * (Math.log2(cycles) + 3), // two per doubling, start, stop
    `${statusLines.length} lines for ${cycles} cycles:\n${statusLines.join("\n")}`,
  );
  assert.ok(statusLines.some((line) => /short-lived connections in a row/.test(line)));
});
