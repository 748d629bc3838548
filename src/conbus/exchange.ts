import type { Clock } from "../resilience/clock.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { SharedTimer } from "../resilience/shared_timer.ts";
import type { BridgeConnection, Incoming, Receiver } from "./bridge_connection.ts";
import type { BusPacer } from "./bus_pacer.ts";
import type { ReplyMatcher, Routing } from "./reply_matcher.ts";
import { encodeFrame } from "./telegram_codec.ts";

/** Default bound on unrelated telegrams kept per exchange (a flooding bus cannot grow memory). */
const DEFAULT_MAX_EVENTS = 1000;

// One lazily armed timer per connection for every exchange's deadline, quiet window and gap: a
// pooled read then costs no setTimeout/clearTimeout pair (~15-20 µs on Deno, more than the rest
// of the read). Disposed when the connection dies.
const sharedTimers = new WeakMap<BridgeConnection, SharedTimer>();

function timersOf(connection: BridgeConnection, clock: Clock): SharedTimer {
  const existing = sharedTimers.get(connection);
  if (existing !== undefined && existing.clock === clock) return existing;
  const timers = new SharedTimer(clock);
  sharedTimers.set(connection, timers);
  connection.onClose(() => {
    timers.dispose();
    if (sharedTimers.get(connection) === timers) sharedTimers.delete(connection);
  });
  return timers;
}

/** Options for {@link runExchange}. */
export interface ExchangeOptions {
  /** Clock for timestamps, the gap, quiet windows and the deadline. */
  clock: Clock;
  /** The exchange ends at this clock time even if requests are still open. */
  deadlineMs: number;
  /** The gap between telegram writes, kept across connections (one bus); null = no gap. */
  pacer: BusPacer | null;
  /** Unrelated telegrams kept at most; the rest are counted in `droppedEvents`. */
  maxEvents?: number;
  /** Called right after each telegram is written. */
  onSent?: (index: number, atMs: number) => void;
  /** Called for every telegram or bad frame received, with where it went. */
  onReceived?: (incoming: Incoming, routing: Routing | null) => void;
}

const NONE_KEPT: readonly Incoming[] = Object.freeze([]);

/** What happened during one {@link runExchange}. */
export interface ExchangeResult {
  /**
   * How many of `indices`, in order, were handed to the socket (their outcome may be unknown);
   * the rest were never written (the connection died first): safe to send again.
   */
  writtenCount: number;
  /** Telegrams that were not replies to these requests, in arrival order (bounded). */
  events: readonly Incoming[];
  /** Frames that failed to decode (bad checksum, layout): reported, never matched. */
  invalid: readonly Incoming[];
  /** Events and bad frames not kept because the bound was reached. */
  droppedEvents: number;
  /** Why the connection failed during the exchange, or null. */
  failure: ConnectionError | null;
}

/**
 * Writes the requests `indices` of `matcher` on `connection` (keeping the pacer's gap between
 * telegrams), routes everything received through the matcher, and resolves when every one of
 * them has an outcome, the connection dies, or `deadlineMs` passes. Open requests keep a null
 * outcome; the caller decides what to retry.
 *
 * @example
 * ```ts
 * const matcher = new ReplyMatcher([telegram], { quietMs: 500 });
 * const result = await runExchange(connection, matcher, [0], { clock, deadlineMs: clock.now() + 2000, pacer: null });
 * ```
 */
export function runExchange(
  connection: BridgeConnection,
  matcher: ReplyMatcher,
  indices: readonly number[],
  options: ExchangeOptions,
): Promise<ExchangeResult> {
  return new Promise((resolve) => new Exchange(connection, matcher, indices, options, resolve));
}

/**
 * One exchange: state in fields, steps as methods, and itself the connection's
 * {@link Receiver}. On a pooled read (a 50-100 µs round trip) every allocation shows — as GC
 * work competing with the peer on a small machine — so it subscribes without closures or set
 * operations, makes its event lists only when something arrives, and reports how many requests
 * it wrote instead of two index arrays. The deadline is its only timer on the hot path.
 */
class Exchange implements Receiver {
  readonly #connection: BridgeConnection;
  readonly #matcher: ReplyMatcher;
  readonly #indices: readonly number[];
  readonly #options: ExchangeOptions;
  readonly #timers: SharedTimer;
  readonly #maxEvents: number;
  readonly #resolve: (result: ExchangeResult) => void;
  /** `#indices[#next]` is the next request to write. */
  #next = 0;
  #finished = false;
  #failure: ConnectionError | null = null;
  // Made on the first one kept (most reads see none); reported as NONE_KEPT until then.
  #events: Incoming[] | null = null;
  #invalid: Incoming[] | null = null;
  #kept = 0;
  #droppedEvents = 0;
  #cancelDeadline: (() => void) | null = null;
  #cancelQuiet: (() => void) | null = null;
  #cancelGap: (() => void) | null = null;

  constructor(
    connection: BridgeConnection,
    matcher: ReplyMatcher,
    indices: readonly number[],
    options: ExchangeOptions,
    resolve: (result: ExchangeResult) => void,
  ) {
    this.#connection = connection;
    this.#matcher = matcher;
    this.#indices = indices;
    this.#options = options;
    this.#timers = timersOf(connection, options.clock);
    this.#maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.#resolve = resolve;
    this.#cancelDeadline = this.#timers.scheduleAt(() => this.#finish(), options.deadlineMs);
    // A connection that already died calls `closed` at once: the exchange then ends here and
    // nothing is written.
    connection.listen(this);
    if (this.#finished) return;
    for (const idle of connection.takeIdleEvents()) this.#keep(idle);
    this.#writeNext();
  }

  /** {@link Receiver}: the connection died. */
  closed(error: ConnectionError): void {
    this.#failure = error;
    this.#finish();
  }

  /** {@link Receiver}: routes a telegram through the matcher; events and bad frames are kept. */
  receive(incoming: Incoming): void {
    let routing: Routing | null = null;
    if (incoming.kind === "telegram") {
      routing = this.#matcher.receive(incoming.telegram, incoming.atMs);
      if (routing.kind === "event") this.#keep(incoming);
    } else {
      this.#keep(incoming);
    }
    this.#options.onReceived?.(incoming, routing);
    this.#checkDone(incoming.atMs);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#cancelDeadline?.();
    this.#cancelQuiet?.();
    this.#cancelGap?.();
    this.#connection.unlisten(this);
    // A dead connection's armed timer would otherwise keep the process alive until it fires.
    if (!this.#connection.alive) this.#timers.dispose();
    this.#resolve({
      writtenCount: this.#next,
      events: this.#events ?? NONE_KEPT,
      invalid: this.#invalid ?? NONE_KEPT,
      droppedEvents: this.#droppedEvents,
      failure: this.#failure,
    });
  }

  #keep(incoming: Incoming): void {
    if (this.#kept >= this.#maxEvents) {
      this.#droppedEvents++;
      return;
    }
    this.#kept++;
    if (incoming.kind === "telegram") (this.#events ??= []).push(incoming);
    else (this.#invalid ??= []).push(incoming);
  }

  /** `atMs`: the current time (callers pass it when they already read the clock). */
  #checkDone(atMs: number): void {
    if (this.#finished) return;
    const nextWindowEnd = this.#matcher.settleQuiet(atMs);
    if (this.#next === this.#indices.length && !this.#anyOpen()) {
      this.#finish();
      return;
    }
    this.#cancelQuiet?.();
    this.#cancelQuiet = nextWindowEnd === null
      ? null
      : this.#timers.scheduleAt(() => this.#checkDone(this.#options.clock.now()), nextWindowEnd);
  }

  #anyOpen(): boolean {
    for (const index of this.#indices) {
      if (this.#matcher.requests[index]!.outcome === null) return true;
    }
    return false;
  }

  #writeNext(): void {
    this.#cancelGap = null;
    if (this.#finished) return;
    const { pacer, clock } = this.#options;
    const gapped = pacer !== null && pacer.minGapMs > 0;
    const waitMs = gapped ? pacer.waitMs(clock.now()) : 0;
    if (waitMs > 0) {
      this.#cancelGap = this.#timers.schedule(() => this.#writeNext(), waitMs);
      return;
    }
    // Without a gap, everything goes out in one write, as xp's `raw` does (pipelining).
    const end = gapped ? this.#next + 1 : this.#indices.length;
    const requests = this.#matcher.requests;
    const bytes = end - this.#next === 1
      ? encodeFrame(requests[this.#indices[this.#next]!]!.telegram)
      : concatenate(
        this.#indices.slice(this.#next, end).map((each) => encodeFrame(requests[each]!.telegram)),
      );
    let atMs: number;
    try {
      atMs = this.#connection.write(bytes);
    } catch (error) {
      this.#failure = error instanceof ConnectionError
        ? error
        : new ConnectionError("closed", String(error));
      this.#finish();
      return;
    }
    pacer?.wrote(atMs);
    for (; this.#next < end; this.#next++) {
      const index = this.#indices[this.#next]!;
      this.#matcher.markSent(index, atMs);
      this.#options.onSent?.(index, atMs);
    }
    if (this.#next < this.#indices.length) this.#writeNext();
    else this.#checkDone(atMs);
  }
}

function concatenate(frames: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
  let offset = 0;
  for (const frame of frames) {
    bytes.set(frame, offset);
    offset += frame.length;
  }
  return bytes;
}
