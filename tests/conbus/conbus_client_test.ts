import assert from "node:assert/strict";
import { connectBridge } from "../../src/conbus/bridge_connection.ts";
import { createBridgePool, poolAcquirer } from "../../src/conbus/bridge_pool.ts";
import { directAcquirer } from "./direct_acquirer.ts";
import { type SendOptions, sendTelegrams } from "../../src/conbus/conbus_client.ts";
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { FakeConbusBridge } from "../fakes/conbus_bridge.ts";
import { seededRandom } from "./vectors.ts";
import { waitFor } from "../support/wait.ts";

const tel = telegramFromBody;

async function withBridge(
  test: (bridge: FakeConbusBridge, options: SendOptions) => Promise<void>,
): Promise<void> {
  const bridge = await FakeConbusBridge.start({ random: seededRandom(3) });
  const endpoint = { host: "127.0.0.1", port: bridge.port };
  try {
    await test(bridge, {
      acquire: directAcquirer(endpoint),
      timeoutMs: 2000,
      quietMs: 400,
      minGapMs: 0,
    });
  } finally {
    await bridge.close();
  }
}

Deno.test("a targeted read ends at its reply", async () => {
  await withBridge(async (_bridge, options) => {
    const result = await sendTelegrams([tel("S0020044966F02D18")], options);
    assert.equal(result.outcome, "replied");
    assert.equal(result.results[0]!.replies[0]!.frame, "<R0020044966F02D18+28,5\u00a7CIM>");
    assert.equal(result.results[0]!.writes, 1);
  });
});

Deno.test("an unsupported datapoint (??) is reported as unsupported", async () => {
  await withBridge(async (_bridge, options) => {
    const result = await sendTelegrams([tel("S0020044966F02D19")], options);
    assert.equal(result.outcome, "unsupported");
    assert.equal(result.results[0]!.replies[0]!.data, "19??");
  });
});

Deno.test("an unknown function gets a NAK", async () => {
  await withBridge(async (_bridge, options) => {
    const result = await sendTelegrams([tel("S0020044966F00D00")], options);
    assert.equal(result.outcome, "nak");
  });
});

Deno.test("a write ends at its ACK; the output event that follows is an event, never a reply", async () => {
  await withBridge(async (bridge, options) => {
    // Pipelined (one write): the fake answers latest-first, so the F27's ACK comes at +30 ms, its
    // event 20 ms later, and the read's reply last, at +80 ms: the event arrives mid-exchange.
    const result = await sendTelegrams([tel("S0020044966F02D00"), tel("S0020044964F27D00AB")], {
      ...options,
      minGapMs: 0,
    });
    assert.equal(result.outcome, "replied");
    assert.deepEqual(result.results[1]!.replies.map((reply) => reply.frame), [
      "<R0020044964F18DFA>",
    ]);
    assert.deepEqual(result.results[0]!.replies.map((reply) => reply.body), [
      "R0020044966F02D00XP24",
    ]);
    // Output 0 of the XP24 on link 06 went on: E07L06I80M (conbus.md §2.5, make = on).
    assert.deepEqual(
      result.events.map((each) => each.kind === "telegram" && each.telegram.frame),
      [tel("E07L06I80M").frame],
    );
    assert.deepEqual(bridge.outputsOf("0020044964"), [true, true, true, true]);
  });
});

Deno.test("an unknown serial gets no reply after exactly one retry", async () => {
  await withBridge(async (bridge, options) => {
    const result = await sendTelegrams([tel("S0099999999F02D12")], { ...options, timeoutMs: 600 });
    assert.equal(result.outcome, "no_reply");
    assert.equal(result.results[0]!.writes, 2);
    assert.equal(bridge.received.length, 2);
  });
});

Deno.test("discover collects every module's reply until the quiet window passes", async () => {
  await withBridge(async (_bridge, options) => {
    const result = await sendTelegrams([tel("S0000000000F01D00")], options);
    assert.equal(result.outcome, "replied");
    assert.deepEqual(
      result.results[0]!.replies.map((reply) => reply.serial).sort(),
      ["0020012521", "0020030837", "0020044964", "0020044966"],
    );
  });
});

Deno.test("a discover still collecting when the time runs out is replied, never resent", async () => {
  // Replies at +30, +230, +430, +630 ms; a 400 ms quiet window would run until ~1030 ms, past
  // half the 2 s timeout (a targeted read's retry point) — and a 800 ms one past the deadline.
  const bridge = await FakeConbusBridge.start({ replyDelayMs: [30, 30], discoverSpreadMs: 600 });
  const endpoint = { host: "127.0.0.1", port: bridge.port };
  try {
    for (const [quietMs, timeoutMs] of [[400, 2000], [800, 1000]]) {
      const result = await sendTelegrams([tel("S0000000000F01D00")], {
        acquire: directAcquirer(endpoint),
        timeoutMs: timeoutMs!,
        quietMs: quietMs!,
        minGapMs: 0,
      });
      assert.equal(result.outcome, "replied", `quiet ${quietMs} ms`);
      assert.equal(result.results[0]!.writes, 1, `quiet ${quietMs} ms`);
      assert.equal(result.results[0]!.replies.length, 4, `quiet ${quietMs} ms`);
      await waitFor("the fake to free its slot", () => !bridge.hasClient);
    }
    assert.equal(bridge.receivedCount, 2);
  } finally {
    await bridge.close();
  }
});

Deno.test("pipelined reads answered out of order each get their own reply", async () => {
  await withBridge(async (_bridge, options) => {
    const arrival: string[] = [];
    const result = await sendTelegrams(
      [tel("S0020030837F02D02"), tel("S0020044964F02D12"), tel("S0020044966F02D18")],
      {
        ...options,
        onReceived: (incoming) => {
          if (incoming.kind === "telegram") arrival.push(incoming.telegram.body.slice(1, 11));
        },
      },
    );
    assert.deepEqual(arrival, ["0020044966", "0020044964", "0020030837"]); // reversed
    assert.deepEqual(result.results.map((each) => each.replies[0]!.data), [
      "02XP230_V1.00.04",
      "12xxxx1110",
      "18+28,5\u00a7C",
    ]);
  });
});

Deno.test("an unsolicited event during a read is shown but never taken as the reply", async () => {
  await withBridge(async (bridge, options) => {
    const result = await sendTelegrams([tel("S0020044964F02D12")], {
      ...options,
      onSent: () => bridge.sendUnsolicited("E14L00I02M"),
    });
    assert.equal(result.outcome, "replied");
    assert.equal(result.results[0]!.replies[0]!.data, "12xxxx1110");
    assert.deepEqual(
      result.events.map((each) => each.kind === "telegram" && each.telegram.frame),
      ["<E14L00I02MAK>"],
    );
  });
});

Deno.test("a corrupted reply checksum is reported, not matched; the read is retried", async () => {
  await withBridge(async (bridge, options) => {
    bridge.corruptReplies(1);
    const result = await sendTelegrams([tel("S0020044964F02D12")], { ...options, timeoutMs: 1000 });
    assert.equal(result.invalid.length, 1);
    assert.match(
      result.invalid[0]!.kind === "invalid" ? result.invalid[0]!.error : "",
      /^checksum FJ expected, got F[AB]$/,
    );
    assert.equal(result.outcome, "replied");
    assert.equal(result.results[0]!.writes, 2);
  });
});

Deno.test("bridge closes mid-reply: the read is retried once, the event is outcome_unknown and never resent", async () => {
  await withBridge(async (bridge, options) => {
    bridge.closeMidReply(1);
    const result = await sendTelegrams([tel("S0020044964F02D12"), tel("E14L00I02M")], options);
    assert.deepEqual(result.results.map((each) => each.outcome), ["replied", "outcome_unknown"]);
    assert.match(result.results[1]!.detail ?? "", /connection lost/);
    assert.equal(result.results[0]!.writes, 2);
    assert.equal(result.results[1]!.writes, 1);
    assert.equal(bridge.received.filter((frame) => frame === "<E14L00I02MAK>").length, 1);
  });
});

Deno.test("a write whose connection is lost mid-reply is not resent: outcome_unknown", async () => {
  await withBridge(async (bridge, options) => {
    bridge.closeMidReply(1);
    const result = await sendTelegrams([tel("S0020044964F27D01AA")], options);
    assert.equal(result.outcome, "outcome_unknown");
    assert.equal(bridge.received.length, 1);
  });
});

Deno.test("nothing listening: connect failures are retried, then a refused error is thrown", async () => {
  const bridge = await FakeConbusBridge.start();
  const port = bridge.port;
  await bridge.close();
  let retries = 0;
  await assert.rejects(
    sendTelegrams([tel("S0020044964F02D12")], {
      acquire: directAcquirer({ host: "127.0.0.1", port }),
      timeoutMs: 2000,
      quietMs: 100,
      minGapMs: 0,
      onConnectRetry: () => retries++,
    }),
    (error) => error instanceof ConnectionError && error.category === "refused",
  );
  assert.equal(retries, 3);
});

Deno.test("pool: the bridge closing an idle connection is detected; the next send reconnects", async () => {
  const bridge = await FakeConbusBridge.start();
  const endpoint = { host: "127.0.0.1", port: bridge.port };
  const pool = createBridgePool(endpoint);
  try {
    const options = {
      acquire: poolAcquirer(pool, endpoint),
      timeoutMs: 2000,
      quietMs: 300,
      minGapMs: 0,
    };
    assert.equal((await sendTelegrams([tel("S0020044964F02D12")], options)).outcome, "replied");
    bridge.disconnectClient();
    await waitFor("the fake to drop its client", () => !bridge.hasClient);
    const second = await sendTelegrams([tel("S0020044964F02D12")], options);
    assert.equal(second.outcome, "replied");
    assert.equal(second.results[0]!.writes, 1);
    assert.equal(pool.stats().discarded, 1);
    assert.equal(bridge.connectionsAccepted, 2);
  } finally {
    await pool.close();
    await bridge.close();
  }
});

Deno.test("pool: consecutive sends reuse one connection", async () => {
  const bridge = await FakeConbusBridge.start({ replyDelayMs: [0, 0] });
  const endpoint = { host: "127.0.0.1", port: bridge.port };
  const pool = createBridgePool(endpoint);
  try {
    const options = {
      acquire: poolAcquirer(pool, endpoint),
      timeoutMs: 2000,
      quietMs: 300,
      minGapMs: 0,
    };
    for (let index = 0; index < 5; index++) {
      assert.equal((await sendTelegrams([tel("S0020044964F02D12")], options)).outcome, "replied");
    }
    assert.equal(bridge.connectionsAccepted, 1);
    assert.equal(pool.stats().reused, 4);
  } finally {
    await pool.close();
    await bridge.close();
  }
});

Deno.test("flood during a read: the reply is still found and kept events stay bounded", async () => {
  await withBridge(async (bridge, options) => {
    const result = await sendTelegrams([tel("S0020044964F02D12")], {
      ...options,
      maxEvents: 100,
      onSent: () => void bridge.flood("E07L06I80B", 20_000),
    });
    assert.equal(result.outcome, "replied");
    assert.equal(result.events.length, 100);
    assert.ok(result.droppedEvents > 0);
  });
});

Deno.test("flood while idle: the idle buffer is capped and the overflow counted", async () => {
  const bridge = await FakeConbusBridge.start();
  const connection = await connectBridge({ host: "127.0.0.1", port: bridge.port }, {
    maxIdleEvents: 64,
  });
  try {
    await waitFor("the fake to accept", () => bridge.hasClient);
    await bridge.flood("E07L06I80B", 5_000);
    await waitFor("the flood to arrive", () => connection.droppedIdleEvents + 64 >= 5_000);
    assert.equal(connection.takeIdleEvents().length, 64);
    assert.equal(connection.droppedIdleEvents, 5_000 - 64);
  } finally {
    connection.close();
    await bridge.close();
  }
});

Deno.test("a write whose ACK never comes is not resent: outcome_unknown after one write", async () => {
  await withBridge(async (bridge, options) => {
    bridge.dropReplies(1);
    const result = await sendTelegrams([tel("S0020044964F27D02AA")], {
      ...options,
      timeoutMs: 600,
    });
    assert.equal(result.outcome, "outcome_unknown");
    assert.equal(result.results[0]!.writes, 1);
    assert.match(result.results[0]!.detail ?? "", /not resent/);
    assert.equal(bridge.receivedCount, 1);
  });
});

Deno.test("a host name that does not resolve is a not_configured error, not retried", async () => {
  let retries = 0;
  await assert.rejects(
    sendTelegrams([tel("S0020044964F02D12")], {
      acquire: directAcquirer({ host: "no-such-bridge.invalid", port: 10001 }),
      timeoutMs: 2000,
      quietMs: 100,
      minGapMs: 0,
      onConnectRetry: () => retries++,
    }),
    (error) =>
      error instanceof ConnectionError && error.category === "not_configured" &&
      /host "no-such-bridge\.invalid" not found/.test(error.message),
  );
  assert.equal(retries, 0);
});

Deno.test("a refused connect (the bridge's one slot taken) is retried and then succeeds", async () => {
  await withBridge(async (bridge, options) => {
    const holder = await connectBridge({ host: "127.0.0.1", port: bridge.port });
    await waitFor("the holder to take the slot", () => bridge.hasClient);
    const retries: string[] = [];
    setTimeout(() => holder.close(), 150);
    const result = await sendTelegrams([tel("S0020044964F02D12")], {
      ...options,
      onConnectRetry: (error) => retries.push((error as ConnectionError).category),
    });
    assert.equal(result.outcome, "replied");
    assert.equal(result.results[0]!.writes, 1);
    assert.ok(
      retries.length >= 1 && retries.every((category) => category === "refused"),
      `${retries}`,
    );
    assert.equal(bridge.receivedCount, 1);
  });
});

Deno.test("busy before any byte was written: an event telegram is retried, and written exactly once", async () => {
  await withBridge(async (bridge, options) => {
    let acquires = 0;
    const retries: string[] = [];
    const result = await sendTelegrams([tel("E14L00I02M")], {
      ...options,
      quietMs: 100,
      acquire: (signal) => {
        acquires++;
        if (acquires === 1) {
          return Promise.reject(new ConnectionError("busy", "pool: no connection free"));
        }
        return options.acquire(signal);
      },
      onConnectRetry: (error) => retries.push((error as ConnectionError).category),
    });
    assert.deepEqual(retries, ["busy"]);
    assert.equal(acquires, 2);
    assert.equal(result.results[0]!.writes, 1);
    assert.equal(result.outcome, "outcome_unknown", "the bus never acknowledges an event");
    assert.match(result.results[0]!.detail ?? "", /does not acknowledge event telegrams/);
    assert.deepEqual(bridge.received, ["<E14L00I02MAK>"]);
  });
});

Deno.test("pool: a read with no reply is retried on a fresh connection; the suspect one is discarded", async () => {
  const bridge = await FakeConbusBridge.start();
  const endpoint = { host: "127.0.0.1", port: bridge.port };
  const pool = createBridgePool(endpoint);
  try {
    bridge.dropReplies(1);
    const result = await sendTelegrams([tel("S0020044964F02D12")], {
      acquire: poolAcquirer(pool, endpoint),
      timeoutMs: 2000,
      quietMs: 300,
      minGapMs: 0,
    });
    assert.equal(result.outcome, "replied");
    assert.equal(result.results[0]!.writes, 2);
    assert.equal(pool.stats().discarded, 1);
    assert.equal(pool.stats().created, 2);
    assert.equal(bridge.connectionsAccepted, 2);
  } finally {
    await pool.close();
    await bridge.close();
  }
});
