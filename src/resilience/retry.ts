import { type Clock, systemClock } from "./clock.ts";
import { delaySequence, hasAttemptsLeft, isRetryable, type RetryPolicy } from "./retry_policy.ts";

/** Passed to each attempt of {@link retry}. */
export interface AttemptContext {
  /** 1-based number of this attempt. */
  attempt: number;
  /** Aborted when the caller's signal aborts; pass it to I/O. */
  signal: AbortSignal;
}

/** Emitted by {@link retry} after a failed attempt, before waiting for the next one. */
export interface RetryEvent {
  /** The attempt about to be made (2 = first retry). */
  attempt: number;
  /** How long retry waits before it. */
  delayMs: number;
  /** Why the previous attempt failed. */
  error: unknown;
}

/** Why {@link retry} stopped trying. */
export type GiveUpReason = "exhausted" | "not_retryable" | "aborted";

/** Emitted by {@link retry} when it stops after a failure. */
export interface GiveUpEvent {
  /** Attempts made. */
  attempts: number;
  /** The last error (for `aborted`: the abort reason). */
  error: unknown;
  /** Why it stopped. */
  reason: GiveUpReason;
}

/** Options for {@link retry}. */
export interface RetryOptions {
  /**
   * Waits go through this clock.
   * @default {systemClock}
   */
  clock?: Clock;
  /** Aborts the waits at once (and is passed to attempts); retry then rejects with its reason. */
  signal?: AbortSignal;
  /** Called after each retryable failure, before the delay. */
  onRetry?: (event: RetryEvent) => void;
  /** Called once when retry gives up after a failure (not on success). */
  onGiveUp?: (event: GiveUpEvent) => void;
  /**
   * Randomness for jitter, in [0, 1).
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * Runs `fn` under `policy`: waits the policy's delay before each attempt — attempt 1 included:
 * 0 for schedules starting with 0 such as kitty's command policy, `initialDelayMs` for an
 * exponential policy — (0 = no timer at all), retries
 * retryable failures (see {@link isRetryable}) until `maxAttempts`, and rethrows the last error.
 *
 * Why not cockatiel's `RetryPolicy.execute`: it waits with a hard-coded global `setTimeout`
 * (RetryPolicy.js `delay()`), so its waits can neither run on an injected {@link Clock} nor be
 * aborted — the signal is only checked between attempts, so `stop()` during a 60 s reconnect
 * backoff would hang for 60 s. The loop below is therefore ours (a dozen lines); the delays
 * come from cockatiel's backoff classes ({@link delaySequence}), and the callbacks mirror its
 * `onRetry` / `onGiveUp` events.
 *
 * @example
 * ```ts
 * const reply = await retry(KITTY_COMMAND_POLICY, ({ attempt, signal }) => sendCommand(pid, signal), {
 *   onRetry: ({ attempt, delayMs, error }) => log.debug(`retry ${attempt} in ${delayMs} ms`, error),
 * });
 * ```
 */
export async function retry<T>(
  policy: RetryPolicy,
  fn: (context: AttemptContext) => Promise<T> | T,
  options: RetryOptions = {},
): Promise<T> {
  const clock = options.clock ?? systemClock;
  const signal = options.signal ?? new AbortController().signal;
  const delays = delaySequence(policy, options.random);
  let delayMs = delays.next();
  for (let attempt = 1;; attempt++) {
    if (delayMs > 0) {
      try {
        await clock.sleep(delayMs, signal);
      } catch (reason) {
        options.onGiveUp?.({ attempts: attempt - 1, error: reason, reason: "aborted" });
        throw reason;
      }
    }
    if (signal.aborted) {
      options.onGiveUp?.({ attempts: attempt - 1, error: signal.reason, reason: "aborted" });
      throw signal.reason;
    }
    try {
      return await fn({ attempt, signal });
    } catch (error) {
      if (signal.aborted) {
        options.onGiveUp?.({ attempts: attempt, error: signal.reason, reason: "aborted" });
        throw signal.reason;
      }
      if (!isRetryable(policy, error)) {
        options.onGiveUp?.({ attempts: attempt, error, reason: "not_retryable" });
        throw error;
      }
      if (!hasAttemptsLeft(policy, attempt)) {
        options.onGiveUp?.({ attempts: attempt, error, reason: "exhausted" });
        throw error;
      }
      delayMs = delays.next();
      options.onRetry?.({ attempt: attempt + 1, delayMs, error });
    }
  }
}
