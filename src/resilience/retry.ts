import { ExponentialBackoff, type GeneratorFn, type IBackoff, IterableBackoff } from "cockatiel";
import { type Clock, systemClock } from "./clock.ts";
import { categoryForErrno, ConnectionError, type ErrorCategory } from "./errors.ts";

/** How an exponential delay is randomised (see {@link ExponentialDelays.jitter}). */
export type Jitter = "none" | "half" | "full";

/** An explicit list of delays: `delaysMs[i]` is waited before attempt `i + 1`. */
export interface ScheduleDelays {
  /** Discriminant. */
  kind: "schedule";
  /**
   * Delay before each attempt, the first entry included (normally 0 = "immediately"). When
   * `maxAttempts` exceeds the list, the last delay repeats.
   */
  delaysMs: readonly number[];
}

/** Exponentially growing delays: `initialDelayMs * multiplier^(n-1)`, capped, jittered. */
export interface ExponentialDelays {
  /** Discriminant. */
  kind: "exponential";
  /** The base delay before the first (re)connect attempt. Preset: 1000. */
  initialDelayMs: number;
  /** Growth per attempt. Preset: 2. */
  multiplier: number;
  /** Cap applied before jitter. Preset: 60000. */
  maxDelayMs: number;
  /**
   * `none`: exactly the capped value d. `half` (preset): uniformly in [d/2, d). `full`:
   * uniformly in [0, d). Values are whole milliseconds.
   */
  jitter: Jitter;
  /**
   * When true, attempt 1 runs at once and attempt n ≥ 2 waits the (n-1)-th exponential delay —
   * for retrying a call. Default false: attempt 1 already waits `initialDelayMs`, which is what a
   * reconnect after a loss wants.
   */
  immediateFirstAttempt?: boolean;
}

/** Which delays a policy waits. */
export type RetryDelays = ScheduleDelays | ExponentialDelays;

/**
 * A retry policy is plain data: delays + max attempts + which categories are retried. Build one
 * with {@link schedulePolicy} / {@link exponentialPolicy} or use a preset.
 */
export interface RetryPolicy {
  /** The delays waited before each attempt. */
  readonly delays: RetryDelays;
  /** Total attempts, the first included; 0 = unlimited. */
  readonly maxAttempts: number;
  /**
   * Only these categories are retried (and only if the error is `recoverable`). Default (when
   * absent): every recoverable error — `refused`, `timeout`, `closed`, `busy` unless the thrower
   * said otherwise.
   */
  readonly retryOn?: readonly ErrorCategory[];
}

/**
 * kitty commands: attempt 1 immediately, attempt 2 100 ms after attempt 1 failed, attempt 3
 * 200 ms after attempt 2 failed, then give up (issue 4: "immediately, +100 ms, +200 ms, then
 * failed") — 3 attempts in total, delays before them `0, 100, 200`.
 */
export const KITTY_COMMAND_POLICY: RetryPolicy = Object.freeze({
  delays: Object.freeze({ kind: "schedule", delaysMs: Object.freeze([0, 100, 200]) }),
  maxAttempts: 3,
});

/**
 * Reconnects of long-lived streams: exponential from 1000 ms, ×2, capped at 60000 ms, half
 * jitter, 10 attempts (use `exponentialPolicy({ maxAttempts: 0 })` for unlimited). Attempt 1
 * waits ~1 s because it follows a loss.
 */
export const RECONNECT_POLICY: RetryPolicy = Object.freeze({
  delays: Object.freeze({
    kind: "exponential",
    initialDelayMs: 1000,
    multiplier: 2,
    maxDelayMs: 60_000,
    jitter: "half",
  }),
  maxAttempts: 10,
});

/**
 * A policy with an explicit delay schedule; `maxAttempts` defaults to the schedule's length.
 *
 * @example
 * ```ts
 * const policy = schedulePolicy([0, 100, 200]); // same delays as KITTY_COMMAND_POLICY
 * ```
 */
export function schedulePolicy(
  delaysMs: readonly number[],
  options: { maxAttempts?: number; retryOn?: readonly ErrorCategory[] } = {},
): RetryPolicy {
  if (delaysMs.length === 0) throw new RangeError("schedulePolicy: delaysMs must not be empty");
  for (const delay of delaysMs) checkDelay(delay, "delaysMs");
  const maxAttempts = options.maxAttempts ?? delaysMs.length;
  checkAttempts(maxAttempts);
  return Object.freeze({
    delays: Object.freeze({ kind: "schedule", delaysMs: Object.freeze([...delaysMs]) }),
    maxAttempts,
    ...(options.retryOn ? { retryOn: Object.freeze([...options.retryOn]) } : {}),
  });
}

/**
 * An exponential policy; every field defaults to {@link RECONNECT_POLICY}'s value.
 *
 * @example
 * ```ts
 * const unlimited = exponentialPolicy({ maxAttempts: 0 });
 * const quick = exponentialPolicy({ initialDelayMs: 50, maxDelayMs: 1000, jitter: "none" });
 * ```
 */
export function exponentialPolicy(
  options: Partial<Omit<ExponentialDelays, "kind">> & {
    maxAttempts?: number;
    retryOn?: readonly ErrorCategory[];
  } = {},
): RetryPolicy {
  const base = RECONNECT_POLICY.delays as ExponentialDelays;
  const delays: ExponentialDelays = {
    kind: "exponential",
    initialDelayMs: options.initialDelayMs ?? base.initialDelayMs,
    multiplier: options.multiplier ?? base.multiplier,
    maxDelayMs: options.maxDelayMs ?? base.maxDelayMs,
    jitter: options.jitter ?? base.jitter,
    ...(options.immediateFirstAttempt ? { immediateFirstAttempt: true } : {}),
  };
  checkDelay(delays.initialDelayMs, "initialDelayMs");
  checkDelay(delays.maxDelayMs, "maxDelayMs");
  if (!(delays.multiplier >= 1)) throw new RangeError("exponentialPolicy: multiplier must be ≥ 1");
  const maxAttempts = options.maxAttempts ?? RECONNECT_POLICY.maxAttempts;
  checkAttempts(maxAttempts);
  return Object.freeze({
    delays: Object.freeze(delays),
    maxAttempts,
    ...(options.retryOn ? { retryOn: Object.freeze([...options.retryOn]) } : {}),
  });
}

function checkDelay(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`retry policy: ${name} must be a finite number ≥ 0, got ${value}`);
  }
}

function checkAttempts(value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`retry policy: maxAttempts must be an integer ≥ 0, got ${value}`);
  }
}

/**
 * A stateful sequence of delays for one run of a policy: `next()` returns the delay before
 * attempt 1, then 2, ... Backed by cockatiel's `IterableBackoff` / `ExponentialBackoff` (with a
 * generator that honours `multiplier` and `jitter`, whose randomness is injectable).
 *
 * @example
 * ```ts
 * const delays = delaySequence(KITTY_COMMAND_POLICY);
 * [delays.next(), delays.next(), delays.next()]; // [0, 100, 200]
 * ```
 */
export function delaySequence(
  policy: RetryPolicy,
  random: () => number = Math.random,
): { next(): number } {
  const delays = policy.delays;
  let backoff: IBackoff<unknown> | undefined;
  let immediatePending = delays.kind === "exponential" && delays.immediateFirstAttempt === true;
  const factory = delays.kind === "schedule"
    ? new IterableBackoff(delays.delaysMs)
    : new ExponentialBackoff<number>({
      initialDelay: delays.initialDelayMs,
      maxDelay: delays.maxDelayMs,
      exponent: delays.multiplier,
      generator: jitteredGenerator(delays.jitter, random),
    });
  return {
    next() {
      if (immediatePending) {
        immediatePending = false;
        return 0;
      }
      backoff = backoff === undefined ? factory.next(undefined) : backoff.next(undefined);
      return backoff.duration;
    },
  };
}

/** A cockatiel generator: capped exponential (honouring `exponent`), then jitter. */
function jitteredGenerator(jitter: Jitter, random: () => number): GeneratorFn<number> {
  return (attempts = 0, options) => {
    const capped = Math.min(options.maxDelay, options.initialDelay * options.exponent ** attempts);
    const delay = jitter === "none"
      ? capped
      : jitter === "half"
      ? Math.floor(capped / 2 + random() * (capped / 2))
      : Math.floor(random() * capped);
    return [delay, attempts + 1];
  };
}

/**
 * The delay waited before attempt `attempt` (1-based) of a fresh run of `policy` — what the
 * supervisor reports as `nextRetryMs`. With jitter, each call draws a new value.
 *
 * @example
 * ```ts
 * delayBeforeAttempt(KITTY_COMMAND_POLICY, 3); // 200
 * delayBeforeAttempt(exponentialPolicy({ jitter: "none" }), 4); // 8000
 * ```
 */
export function delayBeforeAttempt(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`delayBeforeAttempt: attempt must be an integer ≥ 1, got ${attempt}`);
  }
  const sequence = delaySequence(policy, random);
  // Past the cap every exponential step is the same; no need to walk millions of steps.
  const steps = Math.min(attempt, 2000);
  let delay = 0;
  for (let step = 0; step < steps; step++) delay = sequence.next();
  return delay;
}

/** Whether `policy` allows another attempt after `attemptsMade` attempts. */
export function hasAttemptsLeft(policy: RetryPolicy, attemptsMade: number): boolean {
  return policy.maxAttempts === 0 || attemptsMade < policy.maxAttempts;
}

/**
 * Whether `policy` retries `error`: it must be a {@link ConnectionError} (or a raw error with a
 * known errno `code`), `recoverable`, and — when the policy lists `retryOn` — of a listed
 * category. Anything else (a bug, a ConfigError) is never retried.
 *
 * @example
 * ```ts
 * isRetryable(KITTY_COMMAND_POLICY, new ConnectionError("refused", "x")); // true
 * isRetryable(KITTY_COMMAND_POLICY, new ConnectionError("auth", "x")); // false
 * ```
 */
export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  let category: ErrorCategory | null;
  let recoverable: boolean;
  if (error instanceof ConnectionError) {
    category = error.category;
    recoverable = error.recoverable;
  } else {
    const code = (error as { code?: unknown } | null)?.code;
    category = typeof code === "string" ? categoryForErrno(code) : null;
    if (category === null) return false;
    recoverable = new ConnectionError(category, "").recoverable;
  }
  if (!recoverable) return false;
  return policy.retryOn === undefined || policy.retryOn.includes(category);
}

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
  /** Waits go through this clock. Default {@link systemClock}. */
  clock?: Clock;
  /** Aborts the waits at once (and is passed to attempts); retry then rejects with its reason. */
  signal?: AbortSignal;
  /** Called after each retryable failure, before the delay. */
  onRetry?: (event: RetryEvent) => void;
  /** Called once when retry gives up after a failure (not on success). */
  onGiveUp?: (event: GiveUpEvent) => void;
  /** Randomness for jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Runs `fn` under `policy`: waits the policy's delay before each attempt — attempt 1 included:
 * 0 for schedules starting with 0 such as {@link KITTY_COMMAND_POLICY}, `initialDelayMs` for an
 * exponential policy unless `immediateFirstAttempt` — (0 = no timer at all), retries
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
