/** Options for {@link KeyedSerialQueue}. */
export interface KeyedSerialQueueOptions<K> {
  /**
   * Runs when the last task of `key` has settled and nothing else is queued for it, still inside
   * that key's queue: a task queued meanwhile waits for it (kitty < 0.42.2: close the burst's
   * connection before anyone else connects). Its errors are ignored.
   * @default no hook
   */
  onDrained?: (key: K) => Promise<void> | void;
}

interface Lane {
  /** Settles when everything queued so far (and the drain hook) has run; never rejects. */
  tail: Promise<void>;
  /** Tasks queued or running, the drain hook not counted. */
  pending: number;
}

/**
 * Runs tasks one at a time per key, in the order they were queued; different keys never wait
 * for each other (one hung kitty does not delay another). A failing task rejects only its own
 * promise: the next one runs as usual. A key's entry is dropped once its queue drains, so keys
 * that come and go (PIDs) do not accumulate.
 *
 * @example
 * ```ts
 * const queue = new KeyedSerialQueue<number>();
 * const grow = queue.run(4121, () => send(4121, "+3"));
 * const shrink = queue.run(4121, () => send(4121, "-3")); // starts once the grow has settled
 * await queue.idle();
 * ```
 */
export class KeyedSerialQueue<K> {
  readonly #lanes = new Map<K, Lane>();
  readonly #onDrained: ((key: K) => Promise<void> | void) | undefined;

  constructor(options: KeyedSerialQueueOptions<K> = {}) {
    this.#onDrained = options.onDrained;
  }

  /** Queues `task` behind the tasks of `key`; settles as the task does. */
  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), pending: 0 };
      this.#lanes.set(key, lane);
    }
    const current = lane;
    current.pending++;
    const result = current.tail.then(task);
    const tail = result.then(() => {}, () => {}).then(async () => {
      current.pending--;
      if (current.pending > 0) return;
      await Promise.resolve(this.#onDrained?.(key)).catch(() => {});
      // A task queued during the hook made a newer tail: the lane is not drained.
      if (current.tail === tail) this.#lanes.delete(key);
    });
    current.tail = tail;
    return result;
  }

  /** Tasks of `key` queued or running (0 for a key with none). */
  pending(key: K): number {
    return this.#lanes.get(key)?.pending ?? 0;
  }

  /** Keys with tasks queued or running (or their drain hook). */
  keys(): K[] {
    return [...this.#lanes.keys()];
  }

  /**
   * Resolves once the queue of `key` — or, without a key, every queue — has drained, including
   * tasks queued while waiting.
   */
  async idle(key?: K): Promise<void> {
    for (;;) {
      const lanes = key === undefined
        ? [...this.#lanes.values()]
        : [this.#lanes.get(key)].filter((lane) => lane !== undefined);
      if (lanes.length === 0) return;
      await Promise.all(lanes.map((lane) => lane.tail));
    }
  }
}
