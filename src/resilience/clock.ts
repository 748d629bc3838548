import { clearTimeout as nodeClearTimeout, setTimeout as nodeSetTimeout } from "node:timers";

/** An opaque handle returned by {@link Clock.setTimeout}; pass it to {@link Clock.clearTimeout}. */
export type TimerHandle = { readonly __timerHandle: unique symbol };

/** Options for {@link Clock.setTimeout}. */
export interface TimerOptions {
  /**
   * Background work (reapers, health pings): the timer does not keep the process alive.
   * Default `false`.
   */
  unref?: boolean;
}

/**
 * Time as the resilience module sees it. Everything that waits (retry delays, pool reaper,
 * supervisor pings and backoff) takes a `Clock`, so unit tests run on virtual time with no
 * sleeps (tests/support/virtual_clock.ts) and production uses {@link systemClock}.
 *
 * @example
 * ```ts
 * async function waitABit(clock: Clock = systemClock, signal?: AbortSignal) {
 *   const started = clock.now();
 *   await clock.sleep(100, signal);
 *   return clock.now() - started; // ~100
 * }
 * ```
 */
export interface Clock {
  /**
   * Milliseconds since the Unix epoch, possibly fractional. The system clock derives it from
   * `performance.now()`: monotonic and sub-millisecond, so latencies of fast local sockets are
   * not rounded to 0 or 1.
   */
  now(): number;
  /** Runs `callback` once after `delayMs` (negative = 0). */
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle;
  /** Cancels a timer; unknown or already fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
  /**
   * Resolves after `delayMs`; rejects with `signal.reason` as soon as `signal` aborts (at once
   * if it already is). A delay of 0 or less still resolves asynchronously.
   */
  sleep(delayMs: number, signal?: AbortSignal, options?: TimerOptions): Promise<void>;
}

/**
 * Implements {@link Clock.sleep} on top of a clock's `setTimeout`/`clearTimeout`, so every clock
 * (system or virtual) aborts the same way.
 *
 * @example
 * ```ts
 * const clock: Clock = { now, setTimeout, clearTimeout, sleep: (ms, s, o) => sleepOn(clock, ms, s, o) };
 * ```
 */
export function sleepOn(
  clock: Pick<Clock, "setTimeout" | "clearTimeout">,
  delayMs: number,
  signal?: AbortSignal,
  options?: TimerOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      delayMs,
      options,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

interface NodeTimer {
  unref(): void;
}

/**
 * The real clock: `performance.timeOrigin + performance.now()` and node:timers (whose timers can be unref'd on Deno, Bun and
 * Node alike).
 *
 * @example
 * ```ts
 * await systemClock.sleep(50);
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout(callback, delayMs, options) {
    const timer = nodeSetTimeout(callback, Math.max(0, delayMs)) as unknown as NodeTimer;
    if (options?.unref) timer.unref();
    return timer as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    nodeClearTimeout(handle as unknown as Parameters<typeof nodeClearTimeout>[0]);
  },
  sleep(delayMs, signal, options) {
    return sleepOn(systemClock, delayMs, signal, options);
  },
};
