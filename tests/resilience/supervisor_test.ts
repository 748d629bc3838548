import assert from "node:assert/strict";
import { isoTimestamp } from "../../src/platform/time_format.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { exponentialPolicy, type RetryPolicy } from "../../src/resilience/retry_policy.ts";
import {
  Supervisor,
  type SupervisorEvents,
  type SupervisorOptions,
} from "../../src/resilience/supervisor.ts";
import { supervisorStatusToJson } from "../../src/resilience/supervisor_status.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const START = Date.UTC(2026, 0, 1);

/** A fake long-lived stream: `lose()` makes its `closed` promise settle. */
class FakeStream {
  disconnected = false;
  pingLatencyMs = 0;
  pingBehaviour: "answer" | "fail" | "hang" = "answer";
  readonly closed: Promise<unknown>;
  #lose!: (reason: unknown) => void;
  constructor(readonly id: number) {
    this.closed = new Promise((resolve) => this.#lose = resolve);
  }
  lose(reason: unknown = undefined): void {
    this.#lose(reason);
  }
}

/** jitter none: reconnect delays are exactly 1000, 2000, 4000, ... */
const EXACT: RetryPolicy = exponentialPolicy({ jitter: "none", maxAttempts: 10 });

function setup(options: Partial<SupervisorOptions<FakeStream>> = {}) {
  const clock = new VirtualClock(START);
  const streams: FakeStream[] = [];
  const failures: Error[] = [];
  const restored: number[] = [];
  const restoreFailures: Error[] = [];
  const log: string[] = [];
  const supervisor = new Supervisor<FakeStream>({
    name: "sway",
    clock,
    policy: EXACT,
    healthIntervalMs: 0,
    connect: () => {
      log.push(`connect@${clock.now() - START}`);
      const failure = failures.shift();
      if (failure !== undefined) return Promise.reject(failure);
      const stream = new FakeStream(streams.length + 1);
      streams.push(stream);
      return Promise.resolve({ connection: stream, closed: stream.closed });
    },
    restore: (stream) => {
      const failure = restoreFailures.shift();
      if (failure !== undefined) throw failure;
      restored.push(stream.id);
    },
    ping: async (stream, signal) => {
      if (stream.pingBehaviour === "hang") return await new Promise(() => {});
      await clock.sleep(stream.pingLatencyMs, signal);
      if (stream.pingBehaviour === "fail") throw new ConnectionError("closed", "ping: EOF");
    },
    disconnect: (stream) => {
      stream.disconnected = true;
      stream.lose();
    },
    ...options,
  });
  const events: { [K in keyof SupervisorEvents]: SupervisorEvents[K][] } = {
    status_changed: [],
    health_update: [],
    reconnect_attempt: [],
  };
  for (const name of Object.keys(events) as (keyof SupervisorEvents)[]) {
    supervisor.events.on(name, (event) => (events[name] as unknown[]).push(event));
  }
  const transitions = () => events.status_changed.map((event) => `${event.from}->${event.to}`);
  const attempts = () =>
    events.reconnect_attempt.map(({ attempt, maxAttempts, nextRetryMs }) => [
      attempt,
      maxAttempts,
      nextRetryMs,
    ]);
  return {
    clock,
    streams,
    failures,
    restored,
    restoreFailures,
    log,
    supervisor,
    events,
    transitions,
    attempts,
  };
}

const refused = () => new ConnectionError("refused", "sway: connection refused");

Deno.test("start connects, runs restore, and reports connected", async () => {
  const { clock, supervisor, restored, transitions } = setup();
  assert.equal(supervisor.state, "disconnected");
  supervisor.start();
  supervisor.start(); // idempotent
  await clock.advance(0);
  assert.equal(supervisor.state, "connected");
  assert.deepEqual(restored, [1]);
  assert.deepEqual(transitions(), ["disconnected->connecting", "connecting->connected"]);
  assert.equal(supervisor.connection?.id, 1);
  await supervisor.stop();
});

Deno.test("on loss it reconnects after the backoff and runs restore again", async () => {
  const { clock, supervisor, streams, restored, transitions, attempts, log } = setup();
  supervisor.start();
  await clock.advance(0);
  streams[0]!.lose(new ConnectionError("closed", "sway: EOF"));
  await clock.advance(0);
  assert.equal(supervisor.state, "reconnecting");
  assert.deepEqual(attempts(), [[1, 10, 1000]]);
  assert.equal(supervisor.snapshot().nextRetryMs, 1000);
  await clock.advance(999);
  assert.equal(supervisor.state, "reconnecting");
  assert.equal(supervisor.snapshot().nextRetryMs, 1);
  await clock.advance(1);
  assert.equal(supervisor.state, "connected");
  assert.deepEqual(restored, [1, 2]);
  assert.deepEqual(log, ["connect@0", "connect@1000"]);
  assert.deepEqual(transitions(), [
    "disconnected->connecting",
    "connecting->connected",
    "connected->reconnecting",
    "reconnecting->connected",
  ]);
  assert.equal(supervisor.snapshot().reconnectionCount, 1);
  assert.equal(supervisor.snapshot().lastError?.message, "sway: EOF");
  await supervisor.stop();
});

Deno.test("attempts are counted with exponential nextRetryMs until maxAttempts, then it gives up", async () => {
  const policy = exponentialPolicy({ jitter: "none", maxAttempts: 3 });
  const { clock, supervisor, failures, attempts, log } = setup({ policy });
  failures.push(refused(), refused(), refused(), refused());
  supervisor.start();
  await clock.advance(0);
  assert.deepEqual(attempts(), [[1, 3, 1000]]);
  await clock.advance(1000);
  assert.deepEqual(attempts(), [[1, 3, 1000], [2, 3, 2000]]);
  assert.equal(supervisor.snapshot().attempt, 2);
  await clock.advance(2000);
  assert.deepEqual(attempts(), [[1, 3, 1000], [2, 3, 2000], [3, 3, 4000]]);
  await clock.advance(4000);
  assert.deepEqual(log, ["connect@0", "connect@1000", "connect@3000", "connect@7000"]);
  const snapshot = supervisor.snapshot();
  assert.equal(snapshot.state, "disconnected");
  assert.match(snapshot.reason!, /gave up after 3 reconnect attempts: sway: connection refused/);
  assert.equal(snapshot.nextRetryMs, null);
  assert.equal(snapshot.errors.length, 4);
  assert.deepEqual(clock.pending(), [], "no timer left after giving up");
  supervisor.reconnectNow();
  await clock.advance(0);
  assert.equal(supervisor.state, "connected");
  assert.deepEqual(log.at(-1), "connect@7000");
  await supervisor.stop();
});

Deno.test("with maxAttempts 0 it never gives up and the delay stays capped", async () => {
  const policy = exponentialPolicy({ jitter: "none", maxAttempts: 0, maxDelayMs: 8000 });
  const { clock, supervisor, failures, attempts } = setup({ policy });
  for (let i = 0; i < 30; i++) failures.push(refused());
  supervisor.start();
  await clock.advance(1000 + 2000 + 4000 + 8000 * 26);
  assert.equal(supervisor.state, "reconnecting");
  const scheduled = attempts();
  assert.equal(scheduled.length, 30);
  assert.deepEqual(scheduled.at(-1), [30, 0, 8000]);
  await clock.advance(8000 * 4);
  assert.equal(supervisor.state, "connected");
  await supervisor.stop();
});

Deno.test("half jitter: nextRetryMs lies within [d/2, d) and uses the injected randomness", async () => {
  const { clock, supervisor, failures, attempts } = setup({
    policy: exponentialPolicy({ maxAttempts: 3 }),
    random: () => 0.5,
  });
  failures.push(refused(), refused());
  supervisor.start();
  await clock.advance(750);
  await clock.advance(1500);
  assert.deepEqual(attempts(), [[1, 3, 750], [2, 3, 1500]]);
  await supervisor.stop();
});

Deno.test("the backoff starts over after a successful reconnect", async () => {
  const { clock, supervisor, streams, failures, attempts } = setup();
  supervisor.start();
  await clock.advance(0);
  failures.push(refused());
  streams[0]!.lose();
  await clock.advance(1000); // attempt 1 fails
  await clock.advance(2000); // attempt 2 succeeds
  assert.equal(supervisor.state, "connected");
  streams[1]!.lose();
  await clock.advance(0);
  assert.deepEqual(attempts(), [[1, 10, 1000], [2, 10, 2000], [1, 10, 1000]]);
  await supervisor.stop();
});

Deno.test("a non-retryable failure disconnects at once; retryable() can widen that", async () => {
  const auth = () => new ConnectionError("auth", "conbus: rejected");
  const strict = setup();
  strict.failures.push(auth());
  strict.supervisor.start();
  await strict.clock.advance(0);
  assert.equal(strict.supervisor.state, "disconnected");
  assert.equal(strict.supervisor.snapshot().reason, "sway: conbus: rejected");
  assert.deepEqual(strict.attempts(), []);
  await strict.supervisor.stop();

  const lenient = setup({ retryable: () => true });
  lenient.failures.push(auth());
  lenient.supervisor.start();
  await lenient.clock.advance(1000);
  assert.equal(lenient.supervisor.state, "connected");
  await lenient.supervisor.stop();
});

Deno.test("a failing restore closes the connection and counts as a failed attempt", async () => {
  const { clock, supervisor, streams, restoreFailures, restored, attempts } = setup();
  restoreFailures.push(new ConnectionError("protocol", "subscribe failed", { recoverable: true }));
  supervisor.start();
  await clock.advance(0);
  assert.equal(streams[0]!.disconnected, true);
  assert.deepEqual(attempts(), [[1, 10, 1000]]);
  await clock.advance(1000);
  assert.deepEqual(restored, [2]);
  assert.equal(supervisor.state, "connected");
  assert.equal(supervisor.snapshot().reconnectionCount, 0, "never connected before");
  await supervisor.stop();
});

Deno.test("a connect that never answers times out after connectTimeoutMs and is retried", async () => {
  let calls = 0;
  const signals: AbortSignal[] = [];
  const { clock, supervisor, events, attempts } = setup({
    connectTimeoutMs: 500,
    connect: (signal) => {
      signals.push(signal);
      calls++;
      if (calls === 1) return new Promise(() => {}); // a hung peer
      const stream = new FakeStream(calls);
      return Promise.resolve({ connection: stream, closed: stream.closed });
    },
  });
  supervisor.start();
  await clock.advance(499);
  assert.equal(supervisor.state, "connecting");
  await clock.advance(1);
  assert.equal(signals[0]!.aborted, true);
  assert.deepEqual(attempts(), [[1, 10, 1000]]);
  assert.match(events.reconnect_attempt[0]!.error.message, /not connected within 500 ms/);
  assert.equal(events.reconnect_attempt[0]!.error.category, "timeout");
  await clock.advance(1000);
  assert.equal(supervisor.connection?.id, 2);
  await supervisor.stop();
});

Deno.test("a restore that hangs times out too, and its connection is closed", async () => {
  let restores = 0;
  const { clock, supervisor, streams } = setup({
    connectTimeoutMs: 500,
    restore: () => {
      restores++;
      if (restores === 1) return new Promise(() => {});
    },
  });
  supervisor.start();
  await clock.advance(500);
  assert.equal(supervisor.state, "reconnecting");
  assert.equal(streams[0]!.disconnected, true);
  await clock.advance(1000);
  assert.equal(supervisor.connection?.id, 2);
  await supervisor.stop();
});

Deno.test("stop() aborts a connect in flight and closes a connection that arrives late", async () => {
  let deliver!: (stream: FakeStream) => void;
  const late = new FakeStream(1);
  const { clock, supervisor } = setup({
    connect: () =>
      new Promise((resolve) =>
        deliver = (stream) => resolve({ connection: stream, closed: stream.closed })
      ),
  });
  supervisor.start();
  await clock.advance(0);
  await supervisor.stop();
  assert.equal(supervisor.state, "disconnected");
  deliver(late);
  await clock.advance(0);
  assert.equal(late.disconnected, true);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("reconnectNow while connected reconnects at once and restores", async () => {
  const { clock, supervisor, streams, restored, attempts } = setup();
  supervisor.start();
  await clock.advance(0);
  supervisor.reconnectNow();
  await clock.advance(0);
  assert.equal(streams[0]!.disconnected, true);
  assert.equal(supervisor.connection?.id, 2);
  assert.deepEqual(restored, [1, 2]);
  assert.deepEqual(attempts(), [[1, 10, 0]]);
  assert.equal(supervisor.snapshot().reconnectionCount, 1);
  assert.equal(supervisor.snapshot().errors.length, 0, "a requested reconnect is no error");
  await supervisor.stop();
});

Deno.test("reconnectNow while waiting for a retry runs it at once", async () => {
  const { clock, supervisor, failures, log } = setup();
  failures.push(refused(), refused(), refused());
  supervisor.start();
  await clock.advance(1000 + 2000); // attempt 1 and 2 failed; attempt 3 in 4000 ms
  assert.equal(supervisor.snapshot().nextRetryMs, 4000);
  supervisor.reconnectNow();
  await clock.advance(0);
  assert.deepEqual(log, ["connect@0", "connect@1000", "connect@3000", "connect@3000"]);
  assert.equal(supervisor.state, "connected");
  await supervisor.stop();
});

Deno.test("stop() during a long backoff returns at once and leaves no timers", async () => {
  const { clock, supervisor, failures, transitions } = setup();
  failures.push(refused());
  supervisor.start();
  await clock.advance(0);
  assert.equal(supervisor.state, "reconnecting");
  await supervisor.stop();
  assert.equal(supervisor.state, "disconnected");
  assert.equal(supervisor.snapshot().reason, "stopped");
  assert.deepEqual(clock.pending(), []);
  assert.equal(transitions().at(-1), "reconnecting->disconnected");
  supervisor.reconnectNow();
  supervisor.start();
  await clock.advance(10_000);
  assert.equal(supervisor.state, "disconnected", "a stopped supervisor stays stopped");
});

Deno.test("stop() while connected closes the connection", async () => {
  const { clock, supervisor, streams } = setup({ healthIntervalMs: 1000 });
  supervisor.start();
  await clock.advance(0);
  await supervisor.stop();
  await clock.advance(0);
  assert.equal(streams[0]!.disconnected, true);
  assert.equal(supervisor.connection, null);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("health pings run on the interval and report latency", async () => {
  const { clock, supervisor, streams, events } = setup({ healthIntervalMs: 1000 });
  supervisor.start();
  await clock.advance(0);
  streams[0]!.pingLatencyMs = 30;
  assert.deepEqual(clock.pending(), [{ at: START + 1000, unref: true }]);
  await clock.advance(1030);
  assert.deepEqual(
    events.health_update.map(({ ok, latencyMs, at }) => [ok, latencyMs, at - START]),
    [[true, 30, 1030]],
  );
  assert.equal(supervisor.snapshot().latencyMs, 30);
  streams[0]!.pingLatencyMs = 5;
  await clock.advance(1005);
  assert.equal(events.health_update.length, 2);
  assert.equal(supervisor.snapshot().latencyMs, 5);
  assert.equal(supervisor.snapshot().lastPingAt, START + 2035);
  await supervisor.stop();
});

Deno.test("a failed health ping counts as a loss and triggers a reconnect", async () => {
  const { clock, supervisor, streams, events, attempts } = setup({ healthIntervalMs: 1000 });
  supervisor.start();
  await clock.advance(0);
  streams[0]!.pingBehaviour = "fail";
  await clock.advance(1000);
  assert.equal(events.health_update.at(-1)?.ok, false);
  assert.equal(events.health_update.at(-1)?.error?.category, "closed");
  assert.equal(supervisor.state, "reconnecting");
  assert.equal(streams[0]!.disconnected, true);
  assert.deepEqual(attempts(), [[1, 10, 1000]]);
  await clock.advance(1000);
  assert.equal(supervisor.connection?.id, 2);
  await supervisor.stop();
});

Deno.test("a ping without an answer times out after pingTimeoutMs", async () => {
  const { clock, supervisor, streams, events } = setup({
    healthIntervalMs: 1000,
    pingTimeoutMs: 200,
  });
  supervisor.start();
  await clock.advance(0);
  streams[0]!.pingBehaviour = "hang";
  await clock.advance(1199);
  assert.equal(supervisor.state, "connected");
  await clock.advance(1);
  assert.equal(supervisor.state, "reconnecting");
  const failure = events.health_update.at(-1)!;
  assert.equal(failure.error?.category, "timeout");
  assert.match(failure.error!.message, /no answer to the health ping within 200 ms/);
  assert.equal(supervisor.snapshot().lastError?.category, "timeout");
  await supervisor.stop();
});

Deno.test("snapshot and JSON: uptime, reconnection count, next retry, last error", async () => {
  const { clock, supervisor, streams, failures } = setup();
  supervisor.start();
  await clock.advance(61_000);
  assert.equal(supervisor.snapshot().uptimeMs, 61_000);
  failures.push(refused());
  streams[0]!.lose();
  await clock.advance(1000); // attempt 1 refused; attempt 2 in 2000 ms
  await clock.advance(500);
  const json = JSON.parse(JSON.stringify(supervisorStatusToJson(supervisor.snapshot())));
  assert.deepEqual(json, {
    name: "sway",
    status: "reconnecting",
    since_at: isoTimestamp(START + 61_000),
    error: { category: "refused", message: "sway: connection refused" },
    latency_ms: null,
    last_ping_at: null,
    reconnection_count: 0,
    uptime_ms: 0,
    attempt: 2,
    max_attempts: 10,
    next_retry_ms: 1500,
    last_error: {
      ts: isoTimestamp(START + 62_000),
      category: "refused",
      message: "sway: connection refused",
    },
  });
  await supervisor.stop();
});

Deno.test("JSON: unlimited attempts are max_attempts null, never 0", async () => {
  const policy = exponentialPolicy({ jitter: "none", maxAttempts: 0, maxDelayMs: 8000 });
  const { clock, supervisor, failures } = setup({ policy });
  failures.push(refused());
  supervisor.start();
  await clock.advance(0);
  const json = supervisorStatusToJson(supervisor.snapshot());
  assert.equal(json.max_attempts, null);
  assert.equal(json.status, "reconnecting");
  await supervisor.stop();
});

Deno.test("waitForConnected resolves with the connection, or rejects when stopped", async () => {
  const { clock, supervisor, failures } = setup();
  failures.push(refused());
  supervisor.start();
  const connected = supervisor.waitForConnected();
  await clock.advance(1000);
  assert.equal((await connected).id, 1);
  assert.equal((await supervisor.waitForConnected()).id, 1);
  supervisor.reconnectNow();
  await clock.advance(0);
  await supervisor.stop();
  const second = setup();
  second.failures.push(refused());
  second.supervisor.start();
  const waiting = second.supervisor.waitForConnected();
  await second.clock.advance(0);
  await second.supervisor.stop();
  await assert.rejects(waiting, { category: "closed" });
  await assert.rejects(second.supervisor.waitForConnected(), { category: "closed" });
  await assert.rejects(
    setup().supervisor.waitForConnected(AbortSignal.abort(new Error("gave up"))),
    /gave up/,
  );
});
