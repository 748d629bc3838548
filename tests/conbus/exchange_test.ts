import assert from "node:assert/strict";
import type {
  BridgeConnection,
  BridgeEndpoint,
  Incoming,
} from "../../src/conbus/bridge_connection.ts";
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
  lastWriteAtMs: number | null = null;
  droppedIdleEvents = 0;
  alive = true;
  silent = false;
  #listener: ((incoming: Incoming) => void) | null = null;
  #closeListeners: ((error: ConnectionError) => void)[] = [];

  constructor(private readonly clock: VirtualClock) {
    this.createdAtMs = clock.now();
  }
  write(): number {
    if (!this.alive) throw new ConnectionError("closed", "closed");
    this.lastWriteAtMs = this.clock.now();
    if (!this.silent) {
      queueMicrotask(() =>
        this.#listener?.({ kind: "telegram", telegram: REPLY, atMs: this.clock.now() })
      );
    }
    return this.lastWriteAtMs;
  }
  listen(listener: (incoming: Incoming) => void): () => void {
    this.#listener = listener;
    return () => this.#listener = null;
  }
  onClose(listener: (error: ConnectionError) => void): () => void {
    if (!this.alive) {
      listener(new ConnectionError("closed", "closed"));
      return () => {};
    }
    this.#closeListeners.push(listener);
    return () => this.#closeListeners = this.#closeListeners.filter((each) => each !== listener);
  }
  takeIdleEvents(): Incoming[] {
    return [];
  }
  close(): void {
    this.alive = false;
    for (const listener of this.#closeListeners) listener(new ConnectionError("closed", "closed"));
  }
}

function read(connection: BridgeConnection, clock: VirtualClock, deadlineInMs = 1000) {
  const matcher = new ReplyMatcher([READ], { quietMs: 500 });
  const exchange = runExchange(connection, matcher, [0], {
    clock,
    deadlineMs: clock.now() + deadlineInMs,
    minGapMs: 0,
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
