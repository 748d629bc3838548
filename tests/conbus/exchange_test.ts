import assert from "node:assert/strict";
import type {
  BridgeConnection,
  BridgeEndpoint,
  Incoming,
  Receiver,
} from "../../src/conbus/bridge_connection.ts";
import { BusPacer } from "../../src/conbus/bus_pacer.ts";
import { runExchange } from "../../src/conbus/exchange.ts";
import { ReplyMatcher } from "../../src/conbus/reply_matcher.ts";
import { telegramFromBody } from "../../src/conbus/telegram_codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const READ = telegramFromBody("S0020044964F02D12");
const REPLY = telegramFromBody("R0020044964F02D12xxxx1110");

/** An in-memory connection that answers every write with `REPLY` unless told to stay silent. */
class AnsweringConnection implements BridgeConnection {
  readonly endpoint: BridgeEndpoint = { host: "bridge.test", port: 10001 };
  readonly createdAtMs: number;
  readonly writes: number[] = [];
  droppedIdleEvents = 0;
  alive = true;
  silent = false;
  #receiver: Receiver | null = null;
  #closeListeners: ((error: ConnectionError) => void)[] = [];

  constructor(private readonly clock: VirtualClock) {
    this.createdAtMs = clock.now();
  }
  write(): number {
    if (!this.alive) throw new ConnectionError("closed", "closed");
    const atMs = this.clock.now();
    this.writes.push(atMs);
    if (!this.silent) {
      queueMicrotask(() =>
        this.#receiver?.receive({ kind: "telegram", telegram: REPLY, atMs: this.clock.now() })
      );
    }
    return atMs;
  }
  listen(receiver: Receiver): void {
    if (!this.alive) receiver.closed?.(new ConnectionError("closed", "closed"));
    else this.#receiver = receiver;
  }
  unlisten(receiver: Receiver): void {
    if (this.#receiver === receiver) this.#receiver = null;
  }
  onClose(listener: (error: ConnectionError) => void): () => void {
    if (!this.alive) {
      listener(new ConnectionError("closed", "closed"));
      return () => {};
    }
    this.#closeListeners.push(listener);
    return () => this.#closeListeners = this.#closeListeners.filter((each) => each !== listener);
  }
  takeIdleEvents(): readonly Incoming[] {
    return [];
  }
  close(): void {
    this.alive = false;
    const receiver = this.#receiver;
    this.#receiver = null;
    receiver?.closed?.(new ConnectionError("closed", "closed"));
    for (const listener of this.#closeListeners) listener(new ConnectionError("closed", "closed"));
  }
}

function read(
  connection: BridgeConnection,
  clock: VirtualClock,
  deadlineInMs = 1000,
  pacer = new BusPacer(0),
) {
  const matcher = new ReplyMatcher([READ], { quietMs: 500 });
  const exchange = runExchange(connection, matcher, [0], {
    clock,
    deadlineMs: clock.now() + deadlineInMs,
    pacer,
  });
  return { matcher, exchange };
}

Deno.test("back-to-back reads on one connection share one clock timer for their deadlines", async () => {
  const clock = new VirtualClock();
  const connection = new AnsweringConnection(clock);
  for (let index = 0; index < 5; index++) {
    const { matcher, exchange } = read(connection, clock);
    await exchange;
    assert.equal(matcher.requests[0]!.outcome, "replied");
    await clock.advance(1);
  }
  assert.equal(clock.pending().length, 1);
});

Deno.test("an unanswered read still ends at its deadline after earlier reads were answered", async () => {
  const clock = new VirtualClock();
  const connection = new AnsweringConnection(clock);
  await read(connection, clock).exchange;
  await clock.advance(300);
  connection.silent = true;
  const started = clock.now();
  let endedAt: number | null = null;
  const { matcher, exchange } = read(connection, clock);
  void exchange.then(() => endedAt = clock.now());
  await clock.advance(999);
  assert.equal(endedAt, null);
  await clock.advance(1);
  assert.equal(endedAt, started + 1000);
  assert.equal(matcher.requests[0]!.outcome, null);
});

Deno.test("closing the connection clears its armed timer", async () => {
  const clock = new VirtualClock();
  const connection = new AnsweringConnection(clock);
  await read(connection, clock).exchange;
  assert.equal(clock.pending().length, 1);
  connection.close();
  assert.deepEqual(clock.pending(), []);
});

Deno.test("an exchange on a connection that is already dead leaves no timer behind", async () => {
  const clock = new VirtualClock();
  const connection = new AnsweringConnection(clock);
  connection.close();
  const { exchange } = read(connection, clock);
  const result = await exchange;
  assert.equal(result.failure?.category, "closed");
  assert.deepEqual(clock.pending(), []);
});

Deno.test("the minimum gap holds across connections: the first write on a new one waits for it", async () => {
  const clock = new VirtualClock();
  const pacer = new BusPacer(100);
  const startedAt = clock.now();
  const first = new AnsweringConnection(clock);
  await read(first, clock, 1000, pacer).exchange;
  assert.deepEqual(first.writes, [startedAt]);
  first.close(); // e.g. the bridge dropped it and serve reconnected
  await clock.advance(30);
  const second = new AnsweringConnection(clock);
  const { matcher, exchange } = read(second, clock, 1000, pacer);
  await clock.advance(69);
  assert.deepEqual(second.writes, [], "written before the gap since the last telegram passed");
  await clock.advance(1);
  await exchange;
  assert.deepEqual(second.writes, [startedAt + 100]);
  assert.equal(matcher.requests[0]!.outcome, "replied");
});
