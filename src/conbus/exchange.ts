import type { Clock } from "../resilience/clock.ts";
import { ConnectionError } from "../resilience/errors.ts";
import type { BridgeConnection, Incoming } from "./bridge_connection.ts";
import type { ReplyMatcher, Routing } from "./reply_matcher.ts";
import { encodeFrame } from "./telegram_codec.ts";

/** Default bound on unrelated telegrams kept per exchange (a flooding bus cannot grow memory). */
export const DEFAULT_MAX_EVENTS = 1000;

/** Options for {@link runExchange}. */
export interface ExchangeOptions {
  /** Clock for timestamps, the gap, quiet windows and the deadline. */
  clock: Clock;
  /** The exchange ends at this clock time even if requests are still open. */
  deadlineMs: number;
  /** Minimum time between two telegram writes on this connection. */
  minGapMs: number;
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
 * Writes the requests `indices` of `matcher` on `connection` (keeping `minGapMs` between
 * telegrams), routes everything received through the matcher, and resolves when every one of
 * them has an outcome, the connection dies, or `deadlineMs` passes. Open requests keep a null
 * outcome; the caller decides what to retry.
 *
 * @example
 * ```ts
 * const matcher = new ReplyMatcher([telegram], { quietMs: 500 });
 * const result = await runExchange(connection, matcher, [0], { clock, deadlineMs: clock.now() + 2000, minGapMs: 0 });
 * ```
 */
export function runExchange(
  connection: BridgeConnection,
  matcher: ReplyMatcher,
  indices: readonly number[],
  options: ExchangeOptions,
): Promise<ExchangeResult> {
  const { clock } = options;
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
  return new Promise((resolve) => {
    let finished = false;
    let quietTimer: ReturnType<Clock["setTimeout"]> | null = null;
    let gapTimer: ReturnType<Clock["setTimeout"]> | null = null;
    const deadlineTimer = clock.setTimeout(() => finish(), options.deadlineMs - clock.now());
    const finish = () => {
      if (finished) return;
      finished = true;
      clock.clearTimeout(deadlineTimer);
      if (quietTimer !== null) clock.clearTimeout(quietTimer);
      if (gapTimer !== null) clock.clearTimeout(gapTimer);
      stopListening();
      stopClose();
      resolve(result);
    };
    const keep = (list: Incoming[], incoming: Incoming) => {
      if (result.events.length + result.invalid.length < maxEvents) list.push(incoming);
      else result.droppedEvents++;
    };
    const checkDone = () => {
      if (finished) return;
      const next = matcher.settleQuiet(clock.now());
      if (result.unwritten.length === 0 && !open()) {
        finish();
        return;
      }
      if (quietTimer !== null) clock.clearTimeout(quietTimer);
      quietTimer = next === null ? null : clock.setTimeout(checkDone, next - clock.now());
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
      checkDone();
    });
    const stopClose = connection.onClose((error) => {
      result.failure = error;
      finish();
    });
    const writeNext = () => {
      gapTimer = null;
      if (finished) return;
      const index = result.unwritten[0];
      if (index === undefined) {
        checkDone();
        return;
      }
      const waitMs = connection.lastWriteAtMs === null
        ? 0
        : connection.lastWriteAtMs + options.minGapMs - clock.now();
      if (waitMs > 0) {
        gapTimer = clock.setTimeout(writeNext, waitMs);
        return;
      }
      // Without a gap, everything goes out in one write, as xp's `raw` does (pipelining).
      const batch = options.minGapMs > 0 ? [index] : [...result.unwritten];
      const frames = batch.map((each) => encodeFrame(matcher.requests[each]!.telegram));
      const bytes = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
      let offset = 0;
      for (const frame of frames) {
        bytes.set(frame, offset);
        offset += frame.length;
      }
      try {
        connection.write(bytes);
      } catch (error) {
        result.failure = error instanceof ConnectionError
          ? error
          : new ConnectionError("closed", String(error));
        finish();
        return;
      }
      const atMs = clock.now();
      for (const each of batch) {
        result.unwritten.shift();
        result.written.push(each);
        matcher.markSent(each, atMs);
        options.onSent?.(each, atMs);
      }
      writeNext();
    };
    for (const idle of connection.takeIdleEvents()) {
      keep(idle.kind === "telegram" ? result.events : result.invalid, idle);
    }
    writeNext();
  });
}
