import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Incoming } from "../../src/conbus/bridge_connection.ts";
import { ConbusDaemon } from "../../src/conbus/bridge_daemon.ts";
import { sendViaDaemon } from "../../src/conbus/daemon_client.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { ControlReplyError } from "../../src/resilience/control_protocol.ts";
import { requestControl } from "../../src/resilience/control_socket.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { type FakeBridgeOptions, FakeConbusBridge } from "../fakes/conbus_bridge.ts";
import { runInProcess } from "../support/cli.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const logger = createLogger({ level: "silent" });

async function withDaemon(
  test: (
    context: {
      daemon: ConbusDaemon;
      bridge: FakeConbusBridge;
      socketPath: string;
      idle: Incoming[];
    },
  ) => Promise<void>,
  options: {
    initialDelayMs?: number;
    minGapMs?: number;
    maxQueue?: number;
    bridge?: FakeBridgeOptions;
  } = {},
): Promise<void> {
  await using temp = await tempDir("tether-conbus-");
  const dir = temp.path;
  const socketPath = join(dir, "tether", "conbus.sock");
  const bridge = await FakeConbusBridge.start(options.bridge);
  const idle: Incoming[] = [];
  const daemon = await ConbusDaemon.start({
    endpoint: { host: "127.0.0.1", port: bridge.port },
    socketPath,
    minGapMs: options.minGapMs ?? 50,
    maxQueue: options.maxQueue,
    logger,
    onIdleTelegram: (incoming) => idle.push(incoming),
    reconnectPolicy: exponentialPolicy({
      maxAttempts: 0,
      initialDelayMs: options.initialDelayMs ?? 50,
      jitter: "none",
    }),
  });
  try {
    await daemon.waitForConnected(AbortSignal.timeout(5000));
    await test({ daemon, bridge, socketPath, idle });
  } finally {
    await daemon.stop();
    await bridge.close();
  }
}

const send = (socketPath: string, telegrams: string[]) =>
  sendViaDaemon(socketPath, { telegrams, timeout_ms: 2000, quiet_ms: 300 });

Deno.test("serve: the control socket is 0600 and status follows the daemon convention", async () => {
  await withDaemon(async ({ socketPath }) => {
    assert.equal((await stat(socketPath)).mode & 0o777, 0o600);
    const status = await requestControl(socketPath, "status") as Record<string, unknown>;
    assert.equal(status.daemon, "conbus");
    assert.equal(status.pid, process.pid);
    assert.equal(typeof status.uptime_ms, "number");
    assert.equal(status.reconnection_count, 0);
    const connection = status.connection as Record<string, unknown>;
    assert.equal(connection.status, "connected");
    assert.ok("latency_ms" in connection);
  });
});

Deno.test("serve: a send is answered with its report and latency is recorded", async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    const reply = await send(socketPath, ["S0020044964F02D12"]);
    assert.ok(reply?.accepted);
    assert.equal(reply.report.outcome, "replied");
    assert.equal(reply.report.replies[0]!.frame, "<R0020044964F02D12xxxx1110FJ>");
    const status = await requestControl(socketPath, "status") as {
      connection: { latency_ms: number };
    };
    assert.ok(status.connection.latency_ms > 0);
    assert.equal(bridge.connectionsAccepted, 1);
  });
});

Deno.test("serve: requests are served one at a time in arrival order (FIFO), min gap between telegrams", async () => {
  await withDaemon(async ({ daemon, socketPath, bridge }) => {
    // A discover first holds the line for ~600 ms (replies over ~300 ms, then the quiet
    // window), so the reads queue behind it; each is sent only once the previous one is in the
    // queue: arrival order is known.
    const serials = ["0020044964", "0020044966", "0020012521", "0020030837", "0020044964"];
    const pending = [send(socketPath, ["S0000000000F01D00"])];
    await waitFor("the first request", () => daemon.status().queue_length === 1);
    for (const [index, serial] of serials.entries()) {
      pending.push(send(socketPath, [`S${serial}F02D00`]));
      await waitFor("the request to queue", () => daemon.status().queue_length === index + 2);
    }
    const replies = await Promise.all(pending);
    const sentAt = replies.map((reply) => {
      assert.ok(reply?.accepted);
      assert.equal(reply.report.sent.length, 1);
      return Date.parse(reply.report.sent[0]!.ts);
    });
    serials.forEach((serial, index) => {
      const reply = replies[index + 1]!;
      assert.ok(reply.accepted);
      assert.equal(reply.report.replies[0]!.frame.slice(2, 12), serial);
    });
    for (let index = 1; index < sentAt.length; index++) {
      const gap = sentAt[index]! - sentAt[index - 1]!;
      assert.ok(gap >= 50, `request ${index} sent ${gap} ms after request ${index - 1}`);
    }
    assert.equal(bridge.connectionsAccepted, 1);
  }, { minGapMs: 50 });
});

Deno.test("serve: a request for another bridge is declined (the client then goes direct)", async () => {
  await withDaemon(async ({ socketPath }) => {
    const reply = await sendViaDaemon(socketPath, {
      telegrams: ["S0020044964F02D12"],
      timeout_ms: 1000,
      quiet_ms: 300,
      host: "10.9.9.9",
    });
    assert.equal(reply?.accepted, false);
  });
});

Deno.test("serve: the bridge closing the idle connection is followed by a reconnect", async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    bridge.disconnectClient();
    await waitFor("the reconnect", async () => {
      const status = await requestControl(socketPath, "status") as { reconnection_count: number };
      return status.reconnection_count === 1;
    });
    const reply = await send(socketPath, ["S0020044964F02D12"]);
    assert.equal(reply?.accepted && reply.report.outcome, "replied");
    assert.equal(bridge.connectionsAccepted, 2);
  });
});

Deno.test("serve: while disconnected a request fails at once with the next retry time", async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    await bridge.close();
    await waitFor("the loss to be noticed", async () => {
      const status = await requestControl(socketPath, "status") as {
        connection: { status: string };
      };
      return status.connection.status === "reconnecting";
    });
    await assert.rejects(
      send(socketPath, ["S0020044964F02D12"]),
      /is reconnecting .*next reconnect attempt in \d+\.\d s/,
    );
  }, { initialDelayMs: 60_000 });
});

Deno.test("serve: stop finishes the request in flight, then removes the socket", async () => {
  await withDaemon(async ({ daemon, bridge, socketPath }) => {
    const inFlight = send(socketPath, ["S0000000000F01D00"]);
    await waitFor("the discover at the bridge", () => bridge.receivedCount === 1);
    await daemon.stop();
    const reply = await inFlight;
    assert.equal(reply?.accepted && reply.report.outcome, "replied");
    await assert.rejects(stat(socketPath));
  });
});

Deno.test("serve: a bus event while idle is reported at once and never taken by the next request", async () => {
  await withDaemon(async ({ socketPath, bridge, idle }) => {
    assert.ok(bridge.sendUnsolicited("E14L00I02M"));
    await waitFor("the idle event to be reported", () => idle.length === 1);
    assert.equal(idle[0]!.kind === "telegram" && idle[0]!.telegram.frame, "<E14L00I02MAK>");
    const reply = await send(socketPath, ["S0020044964F02D12"]);
    assert.ok(reply?.accepted);
    assert.equal(reply.report.outcome, "replied");
    assert.deepEqual(reply.report.events, []);
    assert.ok(bridge.sendUnsolicited("E14L00I02B"));
    await waitFor("an idle event after a request to be reported", () => idle.length === 2);
    const status = await requestControl(socketPath, "status") as { idle_telegrams: number };
    assert.equal(status.idle_telegrams, 2);
  });
});

Deno.test("serve: the minimum gap holds across a reconnect (one bus, whichever connection)", async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    const first = await send(socketPath, ["S0020044964F02D12"]);
    assert.ok(first?.accepted);
    bridge.disconnectClient();
    await waitFor("the reconnect", async () => {
      const status = await requestControl(socketPath, "status") as { reconnection_count: number };
      return status.reconnection_count === 1;
    });
    const second = await send(socketPath, ["S0020044964F02D12"]);
    assert.ok(second?.accepted);
    assert.equal(second.report.outcome, "replied");
    assert.equal(bridge.connectionsAccepted, 2);
    const gapMs = Date.parse(second.report.sent[0]!.ts) - Date.parse(first.report.sent[0]!.ts);
    assert.ok(gapMs >= 1000, `second telegram ${gapMs} ms after the first`);
  }, { minGapMs: 1000 });
});

Deno.test("serve: a flood while idle is reported within the budget, the rest counted — nothing retained", async () => {
  await using temp = await tempDir("tether-conbus-");
  const dir = temp.path;
  const bridge = await FakeConbusBridge.start();
  const shown: Incoming[] = [];
  const notShown: number[] = [];
  const daemon = await ConbusDaemon.start({
    endpoint: { host: "127.0.0.1", port: bridge.port },
    socketPath: join(dir, "tether", "conbus.sock"),
    minGapMs: 0,
    logger,
    maxIdleReportsPerSecond: 50,
    onIdleTelegram: (incoming) => shown.push(incoming),
    onIdleNotShown: (count) => notShown.push(count),
  });
  try {
    await daemon.waitForConnected(AbortSignal.timeout(5000));
    await waitFor("the fake to accept", () => bridge.hasClient);
    const startedAt = Date.now();
    await bridge.flood("E07L06I80B", 20_000);
    await waitFor("the flood to arrive", () => daemon.status().idle_telegrams === 20_000);
    const windows = Math.ceil((Date.now() - startedAt) / 1000) + 1;
    assert.ok(shown.length >= 50, `${shown.length} shown`);
    assert.ok(shown.length <= 50 * windows, `${shown.length} shown in ≤ ${windows} windows`);
    assert.equal(daemon.status().idle_telegrams_not_shown, 20_000 - shown.length);
    await waitFor(
      "the not-shown summary",
      () => notShown.reduce((sum, count) => sum + count, 0) === 20_000 - shown.length,
    );
    // Still serving: the flood left nothing behind to be read as the next request's reply.
    const reply = await send(join(dir, "tether", "conbus.sock"), ["S0020044964F02D12"]);
    assert.equal(reply?.accepted && reply.report.outcome, "replied");
    assert.ok(reply?.accepted && reply.report.events.length === 0);
  } finally {
    await daemon.stop();
    await bridge.close();
  }
});

Deno.test("serve: a read with no reply is retried on a fresh connection; the suspect one is discarded", async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    bridge.dropReplies(1);
    const reply = await send(socketPath, ["S0020044964F02D12"]);
    assert.ok(reply?.accepted);
    assert.equal(reply.report.outcome, "replied");
    assert.deepEqual(reply.report.sent.map((each) => each.attempt), [1, 2]);
    const status = await requestControl(socketPath, "status") as {
      pool: { discarded: number };
      reconnection_count: number;
    };
    assert.equal(status.pool.discarded, 1);
    assert.equal(status.reconnection_count, 0, "a connection the pool discards is not a loss");
    assert.equal(bridge.connectionsAccepted, 2);
  });
});

Deno.test("serve: the status reply and socket-health report status, reply latency, reconnections and uptime", async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    const startedAt = Date.now();
    const reply = await send(socketPath, ["S0020044964F02D12"]);
    assert.ok(reply?.accepted);
    const status = await requestControl(socketPath, "status") as {
      daemon: string;
      pid: number;
      uptime_ms: number;
      reconnection_count: number;
      endpoint: string;
      requests_served: number;
      connection: { status: string; latency_ms: number; uptime_ms: number };
    };
    assert.equal(status.daemon, "conbus");
    assert.equal(status.pid, process.pid);
    assert.equal(status.endpoint, `127.0.0.1:${bridge.port}`);
    assert.equal(status.connection.status, "connected");
    // The bridge's own reply latency (the fake answers after 30-80 ms), not the socket's.
    assert.ok(
      status.connection.latency_ms >= 25 && status.connection.latency_ms <= 1000,
      `latency ${status.connection.latency_ms} ms`,
    );
    assert.equal(status.reconnection_count, 0);
    assert.equal(status.requests_served, 1);
    const elapsedMs = Date.now() - startedAt + 5000;
    assert.ok(Number.isInteger(status.uptime_ms) && status.uptime_ms <= elapsedMs);

    const env = { XDG_RUNTIME_DIR: dirname(dirname(socketPath)), NO_COLOR: "1" };
    const health = async () => {
      const result = await runInProcess(["--json", "socket-health", "--kind", "tether"], { env });
      const rows = JSON.parse(result.stdout).sockets as Record<string, unknown>[];
      return rows.find((row) => row.socket_path === socketPath)!;
    };
    const row = await health();
    assert.equal(row.status, "healthy");
    assert.equal(row.owner_pid, process.pid);
    assert.equal(row.peer, "tether conbus");
    assert.equal(row.connection_status, "connected");
    assert.equal(row.connection_latency_ms, status.connection.latency_ms, "the bridge's latency");
    assert.equal(row.reconnection_count, 0);
    assert.equal(typeof row.uptime_ms, "number");

    bridge.disconnectClient();
    await waitFor("the reconnect", async () => {
      const next = await requestControl(socketPath, "status") as { reconnection_count: number };
      return next.reconnection_count === 1;
    });
    assert.equal((await health()).reconnection_count, 1);
  });
});

Deno.test('serve: {"cmd":"reconnect"} replaces the bridge connection now', async () => {
  await withDaemon(async ({ socketPath, bridge }) => {
    assert.deepEqual(await requestControl(socketPath, "reconnect"), { reconnecting: true });
    await waitFor("the new connection", async () => {
      const status = await requestControl(socketPath, "status") as {
        connection: { status: string };
      };
      return bridge.connectionsAccepted === 2 && status.connection.status === "connected";
    });
    const reply = await send(socketPath, ["S0020044964F02D12"]);
    assert.equal(reply?.accepted && reply.report.outcome, "replied");
    assert.equal(bridge.connectionsAccepted, 2);
  });
});

Deno.test("serve's full-queue refusal reaches the client typed: busy, not recoverable, answered once", async () => {
  await withDaemon(async ({ daemon, socketPath }) => {
    const inFlight = daemon.handleSend({
      cmd: "send",
      telegrams: ["S0020044964F02D12"],
      timeout_ms: 2000,
      quiet_ms: 300,
    });
    assert.equal(daemon.status().queue_length, 1);
    // Typed as serve's own refusal (nothing was sent), and a full queue is not polled.
    const started = performance.now();
    await assert.rejects(send(socketPath, ["S0020044964F02D12"]), (error) => {
      assert.ok(error instanceof ControlReplyError);
      assert.equal(error.category, "busy");
      assert.equal(error.recoverable, false);
      assert.equal(
        error.message,
        "tether conbus serve: 1 requests already waiting; try again later",
      );
      return true;
    });
    assert.ok(performance.now() - started < 250, "refused at once");
    assert.equal((await inFlight).accepted, true);
  }, { minGapMs: 0, maxQueue: 1, bridge: { replyDelayMs: [300, 300] } });
});

Deno.test("serve: at most 64 requests in the queue (the one in flight included); the next is refused as busy", async () => {
  await withDaemon(async ({ daemon }) => {
    const request = {
      cmd: "send",
      telegrams: ["S0020044964F02D12"],
      timeout_ms: 2000,
      quiet_ms: 300,
    };
    const accepted = Array.from({ length: 64 }, () => daemon.handleSend(request));
    assert.equal(daemon.status().queue_length, 64);
    assert.throws(
      () => daemon.handleSend(request),
      (error) =>
        error instanceof ConnectionError && error.category === "busy" &&
        /64 requests already waiting; try again later/.test(error.message),
    );
    const replies = await Promise.all(accepted);
    assert.ok(replies.every((reply) => reply.accepted && reply.report.outcome === "replied"));
    assert.equal(daemon.status().queue_length, 0);
    await daemon.handleSend(request); // room again
  }, { minGapMs: 0, bridge: { replyDelayMs: [0, 0] } });
});
