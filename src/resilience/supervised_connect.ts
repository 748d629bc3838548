import type { Clock } from "./clock.ts";
import { deadline } from "./deadline.ts";

/** What a supervisor's `connect` hook returns: the connection and how to learn that it was lost. */
export interface SupervisedConnection<C> {
  /** The connection (a socket, an IPC client, ...). */
  connection: C;
  /**
   * Settles when the connection is lost (peer closed, stream error): resolving or rejecting
   * both mean "lost"; a rejection's error (or a resolved Error) becomes the loss reason.
   */
  closed: Promise<unknown>;
}

/** Options for {@link supervisedConnect}. */
export interface SupervisedConnectOptions<C> {
  /** Names the target in the timeout message. */
  name: string;
  /** The owner's hooks, called as its methods. */
  hooks: {
    /** Opens the connection. */
    connect(signal: AbortSignal): Promise<SupervisedConnection<C>>;
    /** Runs on the new connection before it counts as up (re-subscribe, re-read state). */
    restore?(connection: C, signal: AbortSignal): Promise<void> | void;
  };
  /** Deadline for connect + restore together; 0 = none. */
  timeoutMs: number;
  /** Runs the deadline's timer. */
  clock: Clock;
  /** Aborts the attempt (the supervisor stopped); the rejection is the signal's reason. */
  signal: AbortSignal;
  /** Closes a connection that the attempt delivered but that will not be used. */
  close(connection: C): void;
}

/**
 * One connect + restore under a deadline: a hung peer must not wedge a supervisor. On timeout
 * or abort the hooks' signal aborts and the attempt rejects (timeout: `timeout` category); a
 * connection delivered by a failed attempt — even one that arrives after we stopped waiting —
 * is closed.
 *
 * @example
 * ```ts
 * const { connection, closed } = await supervisedConnect({
 *   name: "sway", hooks: { connect, restore }, timeoutMs: 10_000, clock, signal,
 *   close: (socket) => socket.destroy(),
 * });
 * ```
 */
export async function supervisedConnect<C>(
  options: SupervisedConnectOptions<C>,
): Promise<SupervisedConnection<C>> {
  const { name, timeoutMs, clock, signal } = options;
  let delivered: C | null = null;
  let closed = false;
  const closeDelivered = () => {
    if (delivered === null || closed) return;
    closed = true;
    options.close(delivered);
  };
  try {
    return await deadline(
      async (attempt) => {
        try {
          const supervised = await options.hooks.connect(attempt);
          delivered = supervised.connection;
          attempt.throwIfAborted();
          await options.hooks.restore?.(supervised.connection, attempt);
          attempt.throwIfAborted();
          return supervised;
        } catch (error) {
          // Whenever the attempt fails — by itself, on timeout or stop, even after we stopped
          // waiting for it — a connection it delivered is closed.
          closeDelivered();
          throw error;
        }
      },
      timeoutMs > 0 ? timeoutMs : Infinity,
      {
        clock,
        signal,
        timeoutMessage: `${name}: not connected within ${timeoutMs} ms (connect and restore)`,
      },
    );
  } catch (error) {
    closeDelivered();
    throw error;
  }
}
