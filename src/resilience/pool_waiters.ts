import type { Clock } from "./clock.ts";
import type { ConnectionError } from "./errors.ts";

/**
 * Wake-ups for everyone waiting on "something changed" (a release, a disposal, a creation) —
 * the pool's waiters re-check capacity in arrival order on every change.
 *
 * @example
 * ```ts
 * const changes = new ChangeWaiters();
 * const changed = changes.next();
 * changes.wakeAll(); // `changed` resolves
 * ```
 */
export class ChangeWaiters {
  #waiters = new Set<() => void>();

  /** Resolves on the next {@link ChangeWaiters.wakeAll}; `stop` withdraws the waiter. */
  next(stop?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.add(resolve);
      stop?.addEventListener("abort", () => this.#waiters.delete(resolve), { once: true });
    });
  }

  /** Wakes every waiter (each re-registers if it still has to wait). */
  wakeAll(): void {
    if (this.#waiters.size === 0) return; // every release calls this: no allocation when idle
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/** Options for {@link awaitWithin}. */
export interface AwaitWithinOptions {
  /** Clock ms after which the wait fails with `onDeadline()`; null = no deadline. */
  deadline: number | null;
  /** Stops the wait (it rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Runs the deadline. */
  clock: Clock;
  /** The error for a passed deadline. */
  onDeadline(): ConnectionError;
}

/**
 * Awaits `awaited` unless the deadline passes or the signal aborts first; `awaited` gets a
 * signal that aborts when the wait ends either way (to withdraw a waiter).
 *
 * @example
 * ```ts
 * await awaitWithin((stop) => changes.next(stop), {
 *   deadline: clock.now() + 30_000, clock, onDeadline: () => new ConnectionError("busy", "full"),
 * });
 * ```
 */
export async function awaitWithin(
  awaited: (stop: AbortSignal) => Promise<void>,
  options: AwaitWithinOptions,
): Promise<void> {
  const { deadline, signal, clock } = options;
  const stop = new AbortController();
  const cancel = () => stop.abort(signal?.reason);
  signal?.addEventListener("abort", cancel, { once: true });
  const guards: Promise<void>[] = [awaited(stop.signal)];
  if (deadline !== null) {
    guards.push(
      clock.sleep(deadline - clock.now(), stop.signal).then(() => {
        throw options.onDeadline();
      }),
    );
  }
  if (signal !== undefined) {
    guards.push(
      new Promise<void>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        stop.signal.addEventListener("abort", () => reject(stop.signal.reason), { once: true });
      }),
    );
  }
  try {
    await Promise.race(guards);
  } finally {
    signal?.removeEventListener("abort", cancel);
    stop.abort();
  }
}
