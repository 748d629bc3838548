import { ConnectionError } from "../resilience/errors.ts";

/** Options for {@link EventQueue}. */
export interface EventQueueOptions {
  /** Names the connection in the `busy` error, e.g. `sway /run/user/1000/sway-ipc.sock`. */
  context: string;
  /**
   * Events kept while nobody consumes them (and no listener is registered). Past this
   * {@link EventQueue.push} refuses with `busy` rather than silently dropping focus changes.
   * Default 4096.
   */
  maxQueued?: number;
}

/** Default bound on unconsumed events. */
const DEFAULT_MAX_QUEUED_EVENTS = 4096;

/**
 * The consumer side of a compositor event connection (niri event stream, i3/sway SUBSCRIBE):
 * events go to the registered listeners synchronously, or — while there is none — into a
 * bounded queue read by one async iterator. The connection owner pushes events in and closes
 * the queue with the reason the connection ended; the iterator drains what is queued, then ends
 * normally (reason null) or throws the reason. No I/O: the owner keeps its socket.
 *
 * @example
 * ```ts
 * const queue = new EventQueue<string>({ context: "niri" });
 * queue.push("WindowFocusChanged");
 * queue.close(null);
 * for await (const event of queue.events()) console.log(event); // "WindowFocusChanged"
 * ```
 */
export class EventQueue<T> {
  /** Resolves once the queue is closed: null after a normal close, else why it ended. */
  readonly closed: Promise<ConnectionError | null>;

  readonly #context: string;
  readonly #maxQueued: number;
  readonly #listeners = new Set<(event: T) => void>();
  readonly #queue: T[] = [];
  #wakeConsumer: (() => void) | null = null;
  #closeReason: ConnectionError | null | undefined = undefined;
  #resolveClosed!: (reason: ConnectionError | null) => void;

  constructor(options: EventQueueOptions) {
    this.#context = options.context;
    this.#maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_EVENTS;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** Whether {@link close} was called. */
  get isClosed(): boolean {
    return this.#closeReason !== undefined;
  }

  /** Why the queue was closed: undefined while open, null for a normal close. */
  get closeReason(): ConnectionError | null | undefined {
    return this.#closeReason;
  }

  /** Events queued and not yet taken by the iterator. */
  get queuedCount(): number {
    return this.#queue.length;
  }

  /**
   * Calls `listener` for every event as it is pushed; while a listener is registered events are
   * not queued for {@link events}. Returns an unsubscribe function.
   */
  onEvent(listener: (event: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Hands one event to the listeners, or queues it and wakes the iterator. Returns null, or —
   * when the queue is full — a `busy` error and drops the event: the owner should close the
   * connection with it. Ignored after {@link close}.
   */
  push(event: T): ConnectionError | null {
    if (this.#closeReason !== undefined) return null;
    if (this.#listeners.size > 0) {
      for (const listener of [...this.#listeners]) listener(event);
      return null;
    }
    if (this.#queue.length >= this.#maxQueued) {
      return new ConnectionError(
        "busy",
        `${this.#context}: more than ${this.#maxQueued} events queued and not consumed`,
      );
    }
    this.#queue.push(event);
    this.#wake();
    return null;
  }

  /**
   * Ends the queue: the iterator drains the queued events, then ends (null) or throws `reason`.
   * Returns false when it was already closed (the first reason wins).
   */
  close(reason: ConnectionError | null): boolean {
    if (this.#closeReason !== undefined) return false;
    this.#closeReason = reason;
    this.#wake();
    this.#resolveClosed(reason);
    return true;
  }

  /** Events as an async iterator (one consumer); see {@link close} for how it ends. */
  async *events(): AsyncGenerator<T, void, undefined> {
    while (true) {
      if (this.#queue.length > 0) {
        yield this.#queue.shift()!;
        continue;
      }
      if (this.#closeReason !== undefined) {
        if (this.#closeReason === null) return;
        throw this.#closeReason;
      }
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
  }

  #wake(): void {
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = null;
    wake?.();
  }
}
