import { type Clock, systemClock } from "../resilience/clock.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import type { Lease } from "../resilience/pool.ts";
import {
  delayBeforeAttempt,
  isRetryable,
  retry,
  type RetryPolicy,
  schedulePolicy,
} from "../resilience/retry.ts";
import type { BridgeConnection, Incoming } from "./bridge_connection.ts";
import { BusPacer } from "./bus_pacer.ts";
import { runExchange } from "./exchange.ts";
import {
  isRetrySafe,
  type Outcome,
  overallOutcome,
  ReplyMatcher,
  type Routing,
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

const NEVER_ABORTED = new AbortController().signal;

/** Where connections come from: a pool lease, or a one-shot connection wrapped as a lease. */
export type AcquireConnection = (signal: AbortSignal) => Promise<Lease<BridgeConnection>>;

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
 * telegram; a read (`F01`/`F02`/`F03`) with no reply within half the remaining time is sent once
 * more on a fresh connection; a write is not resent (`outcome_unknown`); an event telegram is
 * never resent once bytes went out (`outcome_unknown`). After an unanswered request the
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
export async function sendTelegrams(
  telegrams: readonly Telegram[],
  options: SendOptions,
): Promise<SendResult> {
  const clock = options.clock ?? systemClock;
  const startedAtMs = clock.now();
  const deadlineMs = startedAtMs + options.timeoutMs;
  const matcher = new ReplyMatcher(telegrams, { quietMs: options.quietMs });
  const writes = telegrams.map(() => 0);
  const details: (string | null)[] = telegrams.map(() => null);
  const result: Omit<SendResult, "results" | "outcome"> = {
    events: [],
    invalid: [],
    droppedEvents: 0,
  };
  const retriedReads = new Set<number>();
  const pacer = options.pacer ?? new BusPacer(options.minGapMs);
  let pending = telegrams.map((_, index) => index);
  // Each pass either settles requests or spends a read's single retry: bounded.
  for (let pass = 0; pending.length > 0 && pass <= telegrams.length + 1; pass++) {
    const remainingMs = deadlineMs - (pass === 0 ? startedAtMs : clock.now());
    if (remainingMs <= 0) break;
    let lease: Lease<BridgeConnection>;
    try {
      // Fast path inline: a pooled connection is normally ready, so the retry machinery
      // (timer, signals, backoff objects) is built only after a first failure. The connect
      // timeout and the pool's acquire timeout bound this first try.
      try {
        lease = await options.acquire(options.signal ?? NEVER_ABORTED);
      } catch (firstError) {
        lease = await acquireAfterFailure(firstError, options, clock, remainingMs);
      }
    } catch (error) {
      const failure = toConnectionError(error, "Conbus bridge");
      if (writes.every((count) => count === 0)) throw failure;
      for (const index of pending) details[index] = `not sent again: ${failure.message}`;
      break;
    }
    // Only a targeted read waits for one reply that may never come; a broadcast ends by its
    // quiet window (and is retried if that passes with no reply).
    const canRetryRead = pending.some((index) =>
      matcher.requests[index]!.expectation.kind === "read" && !retriedReads.has(index)
    );
    const leasedAtMs = canRetryRead ? clock.now() : deadlineMs;
    const attemptDeadline = canRetryRead
      ? leasedAtMs + Math.max(options.quietMs, (deadlineMs - leasedAtMs) / 2)
      : deadlineMs;
    const exchange = await runExchange(lease.connection, matcher, pending, {
      clock,
      deadlineMs: Math.min(attemptDeadline, deadlineMs),
      pacer,
      maxEvents: options.maxEvents,
      onSent: (index, atMs) => {
        writes[index]!++;
        options.onSent?.(telegrams[index]!, atMs, writes[index]!);
      },
      onReceived: options.onReceived,
    });
    result.events.push(...exchange.events);
    result.invalid.push(...exchange.invalid);
    result.droppedEvents += exchange.droppedEvents;
    matcher.settleCollecting();
    const unanswered = pending.filter((index) => {
      const outcome = matcher.requests[index]!.outcome;
      return outcome === null || (outcome === "no_reply" && isRetrySafe(telegrams[index]!));
    });
    lease.release({ broken: exchange.failure !== null || unanswered.length > 0 });
    const lost = exchange.failure === null ? null : `connection lost: ${exchange.failure.message}`;
    pending = [];
    for (const index of unanswered) {
      const request = matcher.requests[index]!;
      if (exchange.unwritten.includes(index)) {
        pending.push(index); // nothing left for it: safe to send on the next connection
      } else if (isRetrySafe(request.telegram) && !retriedReads.has(index)) {
        retriedReads.add(index);
        matcher.reopen(index);
        pending.push(index);
      } else if (request.outcome === null) {
        request.outcome = isRetrySafe(request.telegram) ? "no_reply" : "outcome_unknown";
        details[index] = lost ?? noReplyDetail(request.telegram);
      }
    }
  }
  matcher.settleRemaining((request) => {
    const index = matcher.requests.indexOf(request);
    details[index] ??= writes[index] === 0 ? "not sent before the timeout" : "timed out";
    return writes[index] === 0 || isRetrySafe(request.telegram) ? "no_reply" : "outcome_unknown";
  });
  const results = matcher.requests.map((request, index) => ({
    telegram: request.telegram,
    outcome: request.outcome!,
    replies: request.replies,
    writes: writes[index]!,
    detail: request.outcome === "outcome_unknown" && request.telegram.type !== "S" &&
        details[index] === null
      ? "sent; the bus does not acknowledge event telegrams"
      : details[index] ?? null,
  }));
  return { ...result, results, outcome: overallOutcome(results.map((each) => each.outcome)) };
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
