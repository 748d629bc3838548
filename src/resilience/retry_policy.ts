/**
 * Retry policies as data: which delays, how many attempts, which error categories — the
 * presets every part of tether shares, and the pure functions that read a policy. The loop
 * that applies a policy is {@link retry} in retry.ts.
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
