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
