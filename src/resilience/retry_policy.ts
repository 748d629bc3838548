/**
 * Retry policies as data: which delays, how many attempts, which error categories, and the
 * pure functions that read a policy. The presets live beside their owners (the kitty command
 * policy in kitty/, the focus reconnect policy in compositor/, the Conbus connect policy in
 * conbus/). The loop that applies a policy is {@link retry} in retry.ts.
 *
 * @module
 */
import { ExponentialBackoff, type GeneratorFn, type IBackoff, IterableBackoff } from "cockatiel";
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
  /**
   * The base delay, waited already before attempt 1 (a reconnect follows a loss).
   * @default {1000}
   */
  initialDelayMs: number;
  /**
   * Growth per attempt.
   * @default {2}
   */
  multiplier: number;
  /**
   * Cap applied before jitter.
   * @default {60000}
   */
  maxDelayMs: number;
  /**
   * `none`: exactly the capped value d. `half`: uniformly in [d/2, d). `full`: uniformly in
   * [0, d). Values are whole milliseconds.
   * @default {"half"}
   */
  jitter: Jitter;
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

/** {@link exponentialPolicy}'s defaults: 1 s ×2 capped at 60 s, half jitter, 10 attempts. */
const EXPONENTIAL_DEFAULTS = Object.freeze(
  {
    initialDelayMs: 1000,
    multiplier: 2,
    maxDelayMs: 60_000,
    jitter: "half",
    maxAttempts: 10,
  } as const,
);

/**
 * A policy with an explicit delay schedule; `maxAttempts` defaults to the schedule's length.
 *
 * @example
 * ```ts
 * const policy = schedulePolicy([0, 100, 200]); // 3 attempts: at once, +100 ms, +200 ms
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
 * An exponential policy: `initialDelayMs * multiplier^(n-1)` before attempt n, capped, jittered.
 * Defaults: 1000 ms, ×2, capped at 60000 ms, half jitter, 10 attempts (`maxAttempts: 0` =
 * unlimited).
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
  const base = EXPONENTIAL_DEFAULTS;
  const delays: ExponentialDelays = {
    kind: "exponential",
    initialDelayMs: options.initialDelayMs ?? base.initialDelayMs,
    multiplier: options.multiplier ?? base.multiplier,
    maxDelayMs: options.maxDelayMs ?? base.maxDelayMs,
    jitter: options.jitter ?? base.jitter,
  };
  checkDelay(delays.initialDelayMs, "initialDelayMs");
  checkDelay(delays.maxDelayMs, "maxDelayMs");
  if (!(delays.multiplier >= 1)) throw new RangeError("exponentialPolicy: multiplier must be ≥ 1");
  const maxAttempts = options.maxAttempts ?? base.maxAttempts;
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
 * const delays = delaySequence(schedulePolicy([0, 100, 200]));
 * [delays.next(), delays.next(), delays.next()]; // [0, 100, 200]
 * ```
 */
export function delaySequence(
  policy: RetryPolicy,
  random: () => number = Math.random,
): { next(): number } {
  const delays = policy.delays;
  let backoff: IBackoff<unknown> | undefined;
  const factory = delays.kind === "schedule"
    ? new IterableBackoff(delays.delaysMs)
    : new ExponentialBackoff<number>({
      initialDelay: delays.initialDelayMs,
      maxDelay: delays.maxDelayMs,
      exponent: delays.multiplier,
      generator: jitteredGenerator(delays, random),
    });
  return {
    next() {
      backoff = backoff === undefined ? factory.next(undefined) : backoff.next(undefined);
      return backoff.duration;
    },
  };
}

/** A cockatiel generator drawing the same delays as {@link delayBeforeAttempt}. */
function jitteredGenerator(delays: ExponentialDelays, random: () => number): GeneratorFn<number> {
  return (attempts = 0) => {
    const draw = delays.jitter === "none" ? 0 : random();
    return [exponentialDelayMs(delays, attempts + 1, draw), attempts + 1];
  };
}

/**
 * The delay waited before attempt `attempt` (1-based) of a fresh run of `policy` — what the
 * supervisor and the Conbus client report as the next retry's delay. A jittered policy draws
 * `random` once per call, as {@link delaySequence} does once per `next()`.
 *
 * @example
 * ```ts
 * delayBeforeAttempt(schedulePolicy([0, 100, 200]), 3); // 200
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
  const delays = policy.delays;
  if (delays.kind === "schedule") {
    return delays.delaysMs[Math.min(attempt, delays.delaysMs.length) - 1]!;
  }
  return exponentialDelayMs(delays, attempt, delays.jitter === "none" ? 0 : random());
}

/** Capped exponential delay before `attempt`, jittered with `draw` in [0, 1). */
function exponentialDelayMs(delays: ExponentialDelays, attempt: number, draw: number): number {
  // 0 × an overflowing power would be NaN; past the cap every step is the same anyway.
  const growth = delays.initialDelayMs === 0 ? 0 : delays.multiplier ** (attempt - 1);
  const capped = Math.min(delays.maxDelayMs, delays.initialDelayMs * growth);
  if (delays.jitter === "none") return capped;
  if (delays.jitter === "half") return Math.floor(capped / 2 + draw * (capped / 2));
  return Math.floor(draw * capped);
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
 * isRetryable(schedulePolicy([0, 100]), new ConnectionError("refused", "x")); // true
 * isRetryable(schedulePolicy([0, 100]), new ConnectionError("auth", "x")); // false
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
