import type { Clock } from "../resilience/clock.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { SharedTimer } from "../resilience/shared_timer.ts";
import type { BridgeConnection, Incoming } from "./bridge_connection.ts";
import type { BusPacer } from "./bus_pacer.ts";
import type { ReplyMatcher, Routing } from "./reply_matcher.ts";
import { encodeFrame } from "./telegram_codec.ts";

/** Default bound on unrelated telegrams kept per exchange (a flooding bus cannot grow memory). */
export const DEFAULT_MAX_EVENTS = 1000;

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
  /** The gap between telegram writes, kept across connections (one bus). */
  pacer: BusPacer;
  /** Unrelated telegrams kept at most; the rest are counted in `droppedEvents`. */
  maxEvents?: number;
  /** Called right after each telegram is written. */
  onSent?: (index: number, atMs: number) => void;
  /** Called for every telegram or bad frame received, with where it went. */
  onReceived?: (incoming: Incoming, routing: Routing | null) => void;
}

/** What happened during one {@link runExchange}. */
export interface ExchangeResult {
  /** Indices of requests whose bytes were handed to the socket (outcome may be unknown). */
  written: number[];
  /** Indices that were never written (the connection died first): safe to send again. */
  unwritten: number[];
  /** Telegrams that were not replies to these requests, in arrival order (bounded). */
  events: Incoming[];
  /** Frames that failed to decode (bad checksum, layout): reported, never matched. */
  invalid: Incoming[];
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
 * const result = await runExchange(connection, matcher, [0], { clock, deadlineMs: clock.now() + 2000, pacer: new BusPacer(0) });
 * ```
 */
export function runExchange(
  connection: BridgeConnection,
  matcher: ReplyMatcher,
  indices: readonly number[],
  options: ExchangeOptions,
): Promise<ExchangeResult> {
  const { clock, pacer } = options;
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const result: ExchangeResult = {
    written: [],
    unwritten: [...indices],
    events: [],
    invalid: [],
    droppedEvents: 0,
    failure: null,
  };
  const open = () => indices.some((index) => matcher.requests[index]!.outcome === null);
  const timers = timersOf(connection, clock);
  return new Promise((resolve) => {
    let finished = false;
    let cancelQuiet: (() => void) | null = null;
    let cancelGap: (() => void) | null = null;
    const cancelDeadline = timers.scheduleAt(() => finish(), options.deadlineMs);
    const finish = () => {
      if (finished) return;
      finished = true;
      cancelDeadline();
      cancelQuiet?.();
      cancelGap?.();
      stopListening();
      stopClose?.();
      // A dead connection's armed timer would otherwise keep the process alive until it fires.
      if (!connection.alive) timers.dispose();
      resolve(result);
    };
    const keep = (list: Incoming[], incoming: Incoming) => {
      if (result.events.length + result.invalid.length < maxEvents) list.push(incoming);
      else result.droppedEvents++;
    };
    // `atMs`: the current time when the caller already read the clock (a clock read per call
    // adds up on a 50 µs round trip).
    const checkDone = (atMs: number = clock.now()) => {
      if (finished) return;
      const next = matcher.settleQuiet(atMs);
      if (result.unwritten.length === 0 && !open()) {
        finish();
        return;
      }
      cancelQuiet?.();
      cancelQuiet = next === null ? null : timers.scheduleAt(() => checkDone(), next);
    };
    const stopListening = connection.listen((incoming) => {
      let routing: Routing | null = null;
      if (incoming.kind === "telegram") {
        routing = matcher.receive(incoming.telegram, incoming.atMs);
        if (routing.kind === "event") keep(result.events, incoming);
      } else {
        keep(result.invalid, incoming);
      }
      options.onReceived?.(incoming, routing);
      checkDone(incoming.atMs);
    });
    // onClose calls back at once for a connection that already died: finish() then runs before
    // `stopClose` is assigned (nothing to unsubscribe), and nothing is written.
    let stopClose: (() => void) | null = null;
    stopClose = connection.onClose((error) => {
      result.failure = error;
      finish();
    });
    const writeNext = (lastWriteAtMs?: number) => {
      cancelGap = null;
      if (finished) return;
      const index = result.unwritten[0];
      if (index === undefined) {
        checkDone(lastWriteAtMs);
        return;
      }
      const gapped = pacer.minGapMs > 0;
      const waitMs = gapped ? pacer.waitMs(clock.now()) : 0;
      if (waitMs > 0) {
        cancelGap = timers.schedule(() => writeNext(), waitMs);
        return;
      }
      // Without a gap, everything goes out in one write, as xp's `raw` does (pipelining).
      const batch = gapped ? [index] : [...result.unwritten];
      const frames = batch.map((each) => encodeFrame(matcher.requests[each]!.telegram));
      const bytes = frames.length === 1 ? frames[0]! : concatenate(frames);
      let atMs: number;
      try {
        atMs = connection.write(bytes);
        pacer.wrote(atMs);
      } catch (error) {
        result.failure = error instanceof ConnectionError
          ? error
          : new ConnectionError("closed", String(error));
        finish();
        return;
      }
      for (const each of batch) {
        result.unwritten.shift();
        result.written.push(each);
        matcher.markSent(each, atMs);
        options.onSent?.(each, atMs);
      }
      writeNext(atMs);
    };
    for (const idle of connection.takeIdleEvents()) {
      keep(idle.kind === "telegram" ? result.events : result.invalid, idle);
    }
    writeNext();
  });
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
