import assert from "node:assert/strict";
import { parseDaemonStatus } from "../../src/resilience/daemon_status.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

const VALID = {
  daemon: "conbus",
  pid: 4121,
  uptime_ms: 5000,
  reconnection_count: 2,
  endpoint: "127.0.0.1:10001",
  connection: {
    status: "reconnecting",
    latency_ms: 41.5,
    error: { category: "refused", message: "nothing listens" },
    next_retry_ms: 1000,
  },
};

Deno.test("a status reply reads with the daemon's own fields kept", () => {
  assert.deepEqual(parseDaemonStatus(structuredClone(VALID)), VALID);
});

Deno.test("an absent latency_ms or error reads as null", () => {
  const status = parseDaemonStatus({ ...VALID, connection: { status: "connected" } });
  assert.deepEqual(status.connection, { status: "connected", latency_ms: null, error: null });
});

Deno.test("malformed replies are rejected as protocol errors naming the field", () => {
  const cases: [unknown, RegExp][] = [
    [null, /the reply must be an object/],
    ["up", /the reply must be an object/],
    [[VALID], /the reply must be an object/],
    [{ ...VALID, daemon: 1 }, /daemon must be a string/],
    [{ ...VALID, pid: "4121" }, /pid must be a number/],
    [{ ...VALID, uptime_ms: undefined }, /uptime_ms must be a number/],
    [{ ...VALID, reconnection_count: null }, /reconnection_count must be a number/],
    [{ ...VALID, connection: undefined }, /connection must be an object/],
    [{ ...VALID, connection: "connected" }, /connection must be an object/],
    [{ ...VALID, connection: { latency_ms: 1 } }, /connection\.status must be a string/],
    [
      { ...VALID, connection: { status: "connected", latency_ms: "1" } },
      /connection\.latency_ms must be a number or null/,
    ],
    [
      { ...VALID, connection: { status: "reconnecting", error: "refused" } },
      /connection\.error must be null or \{category, message\}/,
    ],
    [
      {
        ...VALID,
        connection: { status: "reconnecting", error: { category: "EAGAIN", message: "m" } },
      },
      /connection\.error must be/,
    ],
  ];
  for (const [value, expected] of cases) {
    assert.throws(
      () => parseDaemonStatus(value),
      (error) =>
        error instanceof ConnectionError && error.category === "protocol" &&
        !error.recoverable && expected.test(error.message),
      JSON.stringify(value),
    );
  }
});
