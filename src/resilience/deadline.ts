import { type Clock, systemClock } from "./clock.ts";
import { ConnectionError } from "./errors.ts";

/** Options for {@link deadline}. */
export interface DeadlineOptions {
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
  /**
   * Gives up early: the wait rejects with `signal.reason` (at once if it already aborted), and
   * the work's own signal aborts with the same reason.
   */
  signal?: AbortSignal;
  /**
   * The message of the `timeout` {@link ConnectionError}; name the peer, e.g.
   * `sway 812: no reply within 1000 ms`. @default `no answer within ${timeoutMs} ms`
   */
  timeoutMessage?: string;
  /**
   * The error for a passed deadline when it is not a `timeout` (a full pool's `busy`);
   * `timeoutMessage` is then unused. @default a `timeout` {@link ConnectionError}
   */
  onTimeout?: () => unknown;
  /** Background work (health pings): the timeout timer does not keep the process alive. @default false */
  unref?: boolean;
}

/**
 * Work to bound: a promise, or a function that starts the work and gets a signal that aborts
 * (with the rejection's reason) when the deadline passes or the caller gives up, so it can stop
 * what it started (destroy a socket).
 */
export type DeadlineWork<T> = Promise<T> | ((signal: AbortSignal) => Promise<T>);

/**
 * Settles like `work`, unless `timeoutMs` passes first on the clock — then rejects with a
 * `timeout` {@link ConnectionError} — or `options.signal` aborts — then rejects with its reason.
 * Like std's `deadline`+`abortable` for tether's clock and errors. The timer is cleared however
 * the wait ends (a leftover timer would keep a stopping process alive until it fires); a
 * `timeoutMs` of `Infinity` sets none.
 *
 * @example
 * ```ts
 * const socket = await deadline((signal) => openSocket(path, signal), 1000, {
 *   timeoutMessage: `kitty 4121: no connection within 1000 ms`,
 * });
 * ```
 */
export async function deadline<T>(
  work: DeadlineWork<T>,
  timeoutMs: number,
  options: DeadlineOptions = {},
): Promise<T> {
  const outcome = await settleWithin(work, timeoutMs, options);
  if (outcome.done) return outcome.value;
  throw outcome.reason;
}

/**
 * Waits for `work` or `limitMs`, whichever comes first, and says which: true if the work ended
 * in time. The {@link deadline} mechanism for waits that are allowed to give up quietly
 * (shutdown, draining a connection); `work` is not cancelled when the limit passes, and if it
 * rejects first, so does the wait.
 *
 * @example
 * ```ts
 * const closed = await waitAtMost(connection.closed, 2000); // false: gave up after 2 s
 * ```
 */
export async function waitAtMost(
  work: Promise<unknown>,
  limitMs: number,
  clock: Clock = systemClock,
): Promise<boolean> {
  return (await settleWithin(work, limitMs, { clock })).done;
}

/** An abort signal with a deadline, from {@link deadlineSignal}. */
export interface DeadlineSignal {
  /** Aborts when the deadline passes or the caller's signal aborts, with that reason. */
  readonly signal: AbortSignal;
  /** Clears the timer and lets go of the caller's signal; does not abort. Call it when done. */
  dispose(): void;
}

/**
 * The signal form of {@link deadline}, for work that must wind down by itself rather than be
 * left behind (a retry loop whose in-flight attempt may still hand back a lease): `signal`
 * aborts with a `timeout` {@link ConnectionError} once `timeoutMs` passes on the clock, or
 * with the reason of `options.signal` if that aborts first.
 *
 * @example
 * ```ts
 * const cutOff = deadlineSignal(remainingMs, { clock });
 * try {
 *   return await retry(policy, ({ signal }) => acquire(signal), { clock, signal: cutOff.signal });
 * } finally {
 *   cutOff.dispose();
 * }
 * ```
 */
export function deadlineSignal(timeoutMs: number, options: DeadlineOptions = {}): DeadlineSignal {
  const clock = options.clock ?? systemClock;
  const outer = options.signal;
  const controller = new AbortController();
  const onAbort = () => cutOff(outer!.reason);
  const timer = Number.isFinite(timeoutMs)
    ? clock.setTimeout(
      () =>
        cutOff(
          options.onTimeout?.() ??
            new ConnectionError(
              "timeout",
              options.timeoutMessage ?? `no answer within ${timeoutMs} ms`,
            ),
        ),
      Math.max(0, timeoutMs),
      { unref: options.unref },
    )
    : null;
  const dispose = () => {
    if (timer !== null) clock.clearTimeout(timer);
    outer?.removeEventListener("abort", onAbort);
  };
  const cutOff = (reason: unknown) => {
    dispose();
    controller.abort(reason);
  };
  if (outer?.aborted) cutOff(outer.reason);
  else outer?.addEventListener("abort", onAbort, { once: true });
  return { signal: controller.signal, dispose };
}

type Outcome<T> = { done: true; value: T } | { done: false; reason: unknown };

/**
 * The race behind {@link deadline} and {@link waitAtMost}: the work's value, or why it was cut
 * off (the timeout error or the caller's reason); a rejection of the work rejects.
 */
function settleWithin<T>(
  work: DeadlineWork<T>,
  timeoutMs: number,
  options: DeadlineOptions,
): Promise<Outcome<T>> {
  const cutOff = deadlineSignal(timeoutMs, options);
  const { signal } = cutOff;
  return new Promise<Outcome<T>>((resolve, reject) => {
    const onCutOff = () => resolve({ done: false, reason: signal.reason });
    if (signal.aborted) {
      onCutOff();
      return;
    }
    signal.addEventListener("abort", onCutOff, { once: true });
    const finish = () => {
      cutOff.dispose();
      signal.removeEventListener("abort", onCutOff);
    };
    let started: Promise<T>;
    try {
      started = typeof work === "function" ? work(signal) : work;
    } catch (error) {
      started = Promise.reject(error);
    }
    started.then(
      (value) => {
        finish();
        resolve({ done: true, value });
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}
