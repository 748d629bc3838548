import { type Clock, systemClock } from "../resilience/clock.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import type { Lease } from "../resilience/pool_lease.ts";
import { retry } from "../resilience/retry.ts";
import {
  delayBeforeAttempt,
  isRetryable,
  type RetryPolicy,
  schedulePolicy,
} from "../resilience/retry_policy.ts";
import type { BridgeConnection, Incoming } from "./bridge_connection.ts";
import { BusPacer } from "./bus_pacer.ts";
import { type ExchangeResult, runExchange } from "./exchange.ts";
import {
  isRetrySafe,
  type Outcome,
  ReplyMatcher,
  type Routing,
  worseOutcome,
} from "./reply_matcher.ts";
import type { ReplyTelegram, Telegram } from "./telegram.ts";

/**
 * Retries for failures before any byte was written (refused, connect timeout, bridge busy):
 * safe for every telegram. Immediately, then +100, +200, +400 ms; the overall timeout cuts it
 * short.
 */
export const CONBUS_CONNECT_POLICY: RetryPolicy = schedulePolicy([0, 100, 200, 400], {
  retryOn: ["refused", "timeout", "closed", "busy"],
});

/**
 * Where connections come from: a pool lease, or a one-shot connection wrapped as a lease. A
 * lease available at once may be returned as is (no promise turn on a pooled read). `signal`
 * (absent when nothing can abort) stops waiting.
 */
export type AcquireConnection = (
  signal?: AbortSignal,
) => Lease<BridgeConnection> | Promise<Lease<BridgeConnection>>;

/** Options for {@link sendTelegrams}. */
export interface SendOptions {
  /** Leases a connection (pool or one-shot). */
  acquire: AcquireConnection;
  /** Overall deadline for everything, retries included. */
  timeoutMs: number;
  /** Broadcasts, discovers and event telegrams end after this long without a reply. */
  quietMs: number;
  /** Minimum time between two telegram writes; 0 = all in one write. */
  minGapMs: number;
  /**
   * Keeps the gap across calls and connections (serve: one bus for every request). When given,
   * its own gap is used instead of `minGapMs`. Default: a new one with `minGapMs` per call.
   */
  pacer?: BusPacer;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Retries of failures before any byte left. Default {@link CONBUS_CONNECT_POLICY}. */
  connectPolicy?: RetryPolicy;
  /** Aborts waiting (SIGINT). */
  signal?: AbortSignal;
  /** Bound on unrelated telegrams kept per attempt. */
  maxEvents?: number;
  /** Called when a telegram was written (attempt 2 = a retried read). */
  onSent?: (telegram: Telegram, atMs: number, attempt: number) => void;
  /** Called for everything received. */
  onReceived?: (incoming: Incoming, routing: Routing | null) => void;
  /** Called before a failed connect is retried. */
  onConnectRetry?: (error: unknown, delayMs: number) => void;
}

/** The result for one telegram. */
export interface TelegramResult {
  /** The telegram as sent. */
  telegram: Telegram;
  /** How it ended. */
  outcome: Outcome;
  /** Replies matched to it. */
  replies: ReplyTelegram[];
  /** How many times it was written (2 = a read retried on a fresh connection). */
  writes: number;
  /** Why it did not get a reply, when known ("connection lost after writing", …). */
  detail: string | null;
}

/** The result of one {@link sendTelegrams} call. */
export interface SendResult {
  /** One per telegram, in argument order. */
  results: TelegramResult[];
  /** Telegrams that were not replies (bus events, other modules' traffic). */
  events: Incoming[];
  /** Frames that failed to decode (e.g. a corrupted checksum): reported, never matched. */
  invalid: Incoming[];
  /** Events not kept because the bound was reached (a flooding bus). */
  droppedEvents: number;
  /** The worst outcome over all telegrams. */
  outcome: Outcome;
}

/**
 * Sends telegrams and waits for their replies, matched by content. Retry safety (conbus.md §6):
 * a failure before any byte was written is retried by {@link CONBUS_CONNECT_POLICY} for every
 * telegram; a read (`F01`/`F02`/`F03`) with no reply — a targeted one within half the remaining
 * time, a broadcast within its quiet window — is sent once more on a fresh connection; a write
 * is not resent (`outcome_unknown`); an event telegram is never resent once bytes went out
 * (`outcome_unknown`). After an unanswered request the
 * connection is discarded, so a late reply cannot be read as the next request's answer.
 * Throws a {@link ConnectionError} only when nothing could be written at all.
 *
 * @example
 * ```ts
 * const result = await sendTelegrams([telegramFromBody("S0020044964F02D12")], {
 *   acquire: (signal) => pool.acquire("10.0.0.5:10001", { signal }),
 *   timeoutMs: 2000, quietMs: 500, minGapMs: 0,
 * });
 * result.outcome; // "replied"
 * ```
 */
export function sendTelegrams(
  telegrams: readonly Telegram[],
  options: SendOptions,
): Promise<SendResult> {
  return new SendRun(telegrams, options).run();
}

const BROKEN = { broken: true } as const;
const NOTHING_PENDING: readonly number[] = Object.freeze([]);

/**
 * One {@link sendTelegrams} call, in passes: each pass leases a connection, writes the pending
 * telegrams and collects replies ({@link runExchange}), then sorts what is still open
 * (`#classify`): not written yet → next pass; a read not yet retried → next pass on a fresh
 * connection; anything else → settled now. Each pass settles requests or spends a read's
 * single retry, so there are at most `telegrams + 2` passes.
 */
class SendRun {
  readonly #telegrams: readonly Telegram[];
  readonly #options: SendOptions;
  readonly #clock: Clock;
  readonly #startedAtMs: number;
  readonly #deadlineMs: number;
  readonly #matcher: ReplyMatcher;
  readonly #pacer: BusPacer | null;
  readonly #onSent: ((index: number, atMs: number) => void) | undefined;
  /** Per telegram: why it ended without a reply, when known (made on the first one). */
  #details: (string | null)[] | null = null;
  /** Reads already sent once more (their single retry is spent); made on the first retry. */
  #retried: Set<number> | null = null;
  /** Kept from the passes; made on the first one (most sends see none). */
  #events: Incoming[] | null = null;
  #invalid: Incoming[] | null = null;
  #droppedEvents = 0;
  /** Set by `#classify`: something went unanswered on the pass's connection. */
  #suspect = false;

  constructor(telegrams: readonly Telegram[], options: SendOptions) {
    this.#telegrams = telegrams;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#startedAtMs = this.#clock.now();
    this.#deadlineMs = this.#startedAtMs + options.timeoutMs;
    this.#matcher = new ReplyMatcher(telegrams, { quietMs: options.quietMs });
    this.#pacer = options.pacer ?? (options.minGapMs > 0 ? new BusPacer(options.minGapMs) : null);
    const onSent = options.onSent;
    const requests = this.#matcher.requests;
    this.#onSent = onSent === undefined
      ? undefined
      : (index, atMs) => onSent(telegrams[index]!, atMs, requests[index]!.writes);
  }

  async run(): Promise<SendResult> {
    let pending: readonly number[] = this.#telegrams.map((_, index) => index);
    for (let pass = 0; pending.length > 0 && pass <= this.#telegrams.length + 1; pass++) {
      const passStartMs = pass === 0 ? this.#startedAtMs : this.#clock.now();
      if (passStartMs >= this.#deadlineMs) break;
      // The first try is inline, and a lease handed over at once (a pooled connection) is used
      // without a promise turn or a clock read (it started at passStartMs).
      let leasing: Lease<BridgeConnection> | Promise<Lease<BridgeConnection> | null>;
      try {
        leasing = this.#options.acquire(this.#options.signal);
      } catch (error) {
        leasing = Promise.reject(error);
      }
      let lease: Lease<BridgeConnection> | null;
      let leasedAtMs = passStartMs;
      if (leasing instanceof Promise) {
        lease = await this.#leaseAfterWaiting(leasing, pending, this.#deadlineMs - passStartMs);
        if (lease === null) break;
        leasedAtMs = this.#clock.now();
      } else {
        lease = leasing;
      }
      const exchange = await runExchange(lease.connection, this.#matcher, pending, {
        clock: this.#clock,
        deadlineMs: this.#passDeadline(pending, leasedAtMs),
        pacer: this.#pacer,
        maxEvents: this.#options.maxEvents,
        onSent: this.#onSent,
        onReceived: this.#options.onReceived,
      });
      this.#keep(exchange);
      // The exchange stopped listening at its last reply; telegrams that came in the same read
      // after it went to the connection's idle buffer by now (the rest of a read is handed
      // over synchronously, before this continuation runs). They are this send's events: with
      // a one-shot connection nobody else would ever see them.
      this.#keepTrailing(lease.connection.takeIdleEvents());
      this.#matcher.settleCollecting();
      pending = this.#classify(exchange, pending);
      // After an unanswered request the connection is discarded: a late reply on it must not
      // be read as the next request's answer.
      lease.release(exchange.failure !== null || this.#suspect ? BROKEN : undefined);
    }
    return this.#result();
  }

  /**
   * Awaits a lease that was not available at once; a failed try is retried by the connect
   * policy (the retry machinery — timer, signals, backoff — is built only then). The connect
   * timeout and the pool's acquire timeout bound each try. Null when no connection came and
   * something was already written (the rest is reported as not sent again); throws when
   * nothing was.
   */
  async #leaseAfterWaiting(
    leasing: Promise<Lease<BridgeConnection> | null>,
    pending: readonly number[],
    remainingMs: number,
  ): Promise<Lease<BridgeConnection> | null> {
    try {
      try {
        return await leasing;
      } catch (firstError) {
        return await acquireAfterFailure(firstError, this.#options, this.#clock, remainingMs);
      }
    } catch (error) {
      const failure = toConnectionError(error, "Conbus bridge");
      if (this.#matcher.requests.every((request) => request.writes === 0)) throw failure;
      for (const index of pending) this.#setDetail(index, `not sent again: ${failure.message}`);
      return null;
    }
  }

  /**
   * The end of a pass: the overall deadline, or — while a targeted read may still use its one
   * retry — half the time left (at least the quiet window), so the retry has time too. Only a
   * targeted read waits for one reply that may never come; a broadcast ends by its quiet window.
   */
  #passDeadline(pending: readonly number[], leasedAtMs: number): number {
    const canRetryRead = pending.some((index) =>
      this.#matcher.requests[index]!.expectation.kind === "read" && !this.#retried?.has(index)
    );
    if (!canRetryRead) return this.#deadlineMs;
    const halfLeftMs = (this.#deadlineMs - leasedAtMs) / 2;
    return Math.min(this.#deadlineMs, leasedAtMs + Math.max(this.#options.quietMs, halfLeftMs));
  }

  #setDetail(index: number, detail: string): void {
    (this.#details ??= this.#telegrams.map(() => null))[index] = detail;
  }

  #keepTrailing(trailing: readonly Incoming[]): void {
    for (const incoming of trailing) {
      if (incoming.kind === "telegram") (this.#events ??= []).push(incoming);
      else (this.#invalid ??= []).push(incoming);
    }
  }

  #keep(exchange: ExchangeResult): void {
    if (exchange.events.length > 0) (this.#events ??= []).push(...exchange.events);
    if (exchange.invalid.length > 0) (this.#invalid ??= []).push(...exchange.invalid);
    this.#droppedEvents += exchange.droppedEvents;
  }

  /**
   * Sorts the requests of a pass still unanswered (open, or a read that ended no_reply) and
   * returns those the next pass sends: not written → sent again (safe: no byte left); a read
   * not yet retried → reopened and sent once more on a fresh connection. Anything else is
   * settled now — a read as `no_reply`, a write or an event as `outcome_unknown` (never resent).
   * Sets `#suspect` when something went unanswered on this connection.
   */
  #classify(exchange: ExchangeResult, pending: readonly number[]): readonly number[] {
    let next: number[] | null = null;
    this.#suspect = false;
    for (let position = 0; position < pending.length; position++) {
      const index = pending[position]!;
      const request = this.#matcher.requests[index]!;
      const retrySafe = isRetrySafe(request.telegram);
      const unanswered = request.outcome === null ||
        (request.outcome === "no_reply" && retrySafe);
      if (!unanswered) continue;
      this.#suspect = true;
      if (position >= exchange.writtenCount) {
        (next ??= []).push(index);
      } else if (retrySafe && !this.#retried?.has(index)) {
        (this.#retried ??= new Set()).add(index);
        this.#matcher.reopen(index);
        (next ??= []).push(index);
      } else if (request.outcome === null) {
        request.outcome = retrySafe ? "no_reply" : "outcome_unknown";
        const lost = exchange.failure?.message;
        this.#setDetail(
          index,
          lost === undefined ? noReplyDetail(request.telegram) : `connection lost: ${lost}`,
        );
      }
    }
    return next ?? NOTHING_PENDING;
  }

  /** Settles what is still open (time ran out) and builds the result, in one loop. */
  #result(): SendResult {
    const requests = this.#matcher.requests;
    const results: TelegramResult[] = [];
    let overall: Outcome = "replied";
    for (let index = 0; index < requests.length; index++) {
      const request = requests[index]!;
      const writes = request.writes;
      let detail = this.#details?.[index] ?? null;
      if (request.outcome === null) {
        detail ??= writes === 0 ? "not sent before the timeout" : "timed out";
        request.outcome = writes === 0 || isRetrySafe(request.telegram)
          ? "no_reply"
          : "outcome_unknown";
      }
      if (
        detail === null && request.outcome === "outcome_unknown" && request.telegram.type !== "S"
      ) {
        detail = "sent; the bus does not acknowledge event telegrams";
      }
      results.push({
        telegram: request.telegram,
        outcome: request.outcome,
        replies: request.replies,
        writes,
        detail,
      });
      overall = worseOutcome(overall, request.outcome);
    }
    return {
      results,
      events: this.#events ?? [],
      invalid: this.#invalid ?? [],
      droppedEvents: this.#droppedEvents,
      outcome: overall,
    };
  }
}

function noReplyDetail(telegram: Telegram): string {
  if (isRetrySafe(telegram)) return "no reply after a retry: unknown serial, or module offline";
  return telegram.type === "S"
    ? "sent, no ACK/NAK: not resent, state unknown — read it back (F02) to check"
    : "sent; the bus does not acknowledge event telegrams — never resent";
}

/** Retries a failed first acquire by the connect policy (its first attempt already failed). */
async function acquireAfterFailure(
  firstError: unknown,
  options: SendOptions,
  clock: Clock,
  remainingMs: number,
): Promise<Lease<BridgeConnection>> {
  const policy = options.connectPolicy ?? CONBUS_CONNECT_POLICY;
  if (options.signal?.aborted || !isRetryable(policy, firstError) || policy.maxAttempts === 1) {
    throw firstError;
  }
  // The policy's remaining attempts, with the delays it would have waited before them.
  const delaysMs = Array.from(
    { length: policy.maxAttempts === 0 ? 10 : policy.maxAttempts - 1 },
    (_, index) => delayBeforeAttempt(policy, index + 2),
  );
  const rest = schedulePolicy(delaysMs, { retryOn: policy.retryOn });
  options.onConnectRetry?.(firstError, delaysMs[0]!);
  const deadline = new AbortController();
  const timer = clock.setTimeout(
    () => deadline.abort(new ConnectionError("timeout", "Conbus bridge: no connection in time")),
    remainingMs,
  );
  const signal = options.signal === undefined
    ? deadline.signal
    : AbortSignal.any([deadline.signal, options.signal]);
  let lastError: unknown = firstError;
  try {
    return await retry(
      rest,
      ({ signal }) => options.acquire(signal),
      {
        clock,
        signal,
        onRetry: ({ error, delayMs }) => {
          lastError = error;
          options.onConnectRetry?.(error, delayMs);
        },
      },
    );
  } catch (error) {
    // On a deadline abort, report the last real failure (refused, busy) rather than "aborted".
    throw signal.aborted ? lastError : error;
  } finally {
    clock.clearTimeout(timer);
  }
}
