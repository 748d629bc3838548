import { type Clock, systemClock } from "./clock.ts";
import type { ConnectionError } from "./errors.ts";
import { SharedTimer } from "./shared_timer.ts";

/** A request waiting for its reply, as {@link PendingReplies.next} hands it out. */
export interface PendingReply<Reply, Request> {
  /** What the owner noted about the request (e.g. its message type, to check the reply's). */
  readonly request: Request;
  /** Settles the request's promise with its reply. */
  resolve(reply: Reply): void;
  /** Fails the request alone (a reply that does not parse). */
  reject(error: ConnectionError): void;
}

/** Options for {@link PendingReplies}. */
export interface PendingRepliesOptions {
  /** The clock the per-request timeouts run on. @default systemClock */
  clock?: Clock;
  /**
   * Told when a request's timeout passes, with the error {@link PendingReplies.expect} was given
   * for it. Replies carry no request id, so a late reply would be taken for the next request's:
   * the owner closes the connection here (and with it {@link PendingReplies.close}).
   */
  onTimeout(error: ConnectionError): void;
}

interface Entry<Reply, Request> extends PendingReply<Reply, Request> {
  cancelTimeout(): void;
}

/**
 * The requests of one connection whose protocol answers in order (kitty remote control,
 * i3-ipc): a FIFO where each reply settles the oldest request, each request has its own
 * timeout, and {@link close} fails every request still open. All timeouts share one clock timer
 * ({@link SharedTimer}): a request answered in time costs no timer operation.
 *
 * @example
 * ```ts
 * const pending = new PendingReplies<string, void>({ onTimeout: (error) => connection.fail(error) });
 * const reply = pending.expect(undefined, 1000, () => new ConnectionError("timeout", "no reply"));
 * socket.write(request);
 * // on each decoded reply:
 * pending.next()?.resolve(body);
 * ```
 */
export class PendingReplies<Reply, Request = void> {
  readonly #timer: SharedTimer;
  readonly #onTimeout: (error: ConnectionError) => void;
  readonly #queue: Entry<Reply, Request>[] = [];
  #closedWith: ConnectionError | null = null;

  constructor(options: PendingRepliesOptions) {
    this.#timer = new SharedTimer(options.clock ?? systemClock);
    this.#onTimeout = options.onTimeout;
  }

  /** Requests still waiting for a reply. */
  get size(): number {
    return this.#queue.length;
  }

  /**
   * Adds a request at the end of the queue and returns the promise of its reply. After
   * `timeoutMs` without one, `onTimeout` gets `timeoutError()` (built only then). After
   * {@link close} it rejects at once with the close error.
   */
  expect(request: Request, timeoutMs: number, timeoutError: () => ConnectionError): Promise<Reply> {
    if (this.#closedWith !== null) return Promise.reject(this.#closedWith);
    return new Promise<Reply>((resolve, reject) => {
      const entry: Entry<Reply, Request> = {
        request,
        resolve,
        reject,
        cancelTimeout: this.#timer.schedule(() => this.#onTimeout(timeoutError()), timeoutMs),
      };
      this.#queue.push(entry);
    });
  }

  /**
   * Takes the oldest request off the queue, its timeout cancelled, for the reply that just
   * arrived; undefined if none is waiting (the owner decides whether that is a protocol error).
   */
  next(): PendingReply<Reply, Request> | undefined {
    const entry = this.#queue.shift();
    entry?.cancelTimeout();
    return entry;
  }

  /**
   * Rejects every open request with `error`, clears the timer, and makes later
   * {@link expect}s reject with it too. Only the first call counts.
   */
  close(error: ConnectionError): void {
    if (this.#closedWith !== null) return;
    this.#closedWith = error;
    this.#timer.dispose();
    for (const entry of this.#queue.splice(0)) entry.reject(error);
  }
}
