import type { Clock } from "../resilience/clock.ts";
import { KeyedPool } from "../resilience/pool.ts";
import { KittyConnection, type KittyConnector } from "./client.ts";
import type { KittyResponse } from "./codec.ts";

/** Options for {@link KittyConnections}; durations in milliseconds. */
export interface KittyConnectionsOptions {
  /** The socket of kitty `pid`. */
  socketPathFor: (pid: number) => string;
  /** Connect timeout, reply timeout and pool acquire timeout (`--socket-timeout`). */
  timeoutMs: number;
  /** How to connect (default node:net). */
  connector?: KittyConnector;
  /** The pool's clock. */
  clock: Clock;
  /** Pooled connections over all kitties (`--max-connections`). */
  maxConnections: number;
  /** Idle pooled connections close after this (`--idle-timeout`). */
  idleTimeoutMs: number;
  /** Pool reaper period (`--reap-interval`). */
  reapIntervalMs: number;
  /** Called for every connection opened to kitty `pid`. */
  onConnect?: (pid: number) => void;
  /** Called for every request sent over a connection that was already open. */
  onReuse?: (pid: number) => void;
}

/**
 * How requests reach each kitty. Pooled (kitty >= 0.42.2): through the shared keyed pool, one
 * connection per kitty kept under the idle, reaper and total limits. Not pooled (older kitty,
 * whose talk loop starves every other client while a connection idles): one connection per
 * burst of queued requests, which {@link KittyConnections.endBurst} closes as soon as the
 * kitty's queue has drained. A connection that failed mid-request is never reused.
 *
 * @example
 * ```ts
 * const connections = new KittyConnections({ socketPathFor, timeoutMs: 2000, clock: systemClock,
 *   maxConnections: 10, idleTimeoutMs: 1_800_000, reapIntervalMs: 300_000 });
 * const reply = await connections.send(4121, command, { pooled: false, silenceMeans: "timeout" });
 * await connections.endBurst(4121);
 * await connections.close();
 * ```
 */
export class KittyConnections {
  readonly #options: KittyConnectionsOptions;
  readonly #pool: KeyedPool<KittyConnection>;
  /** Not pooled: the connection of each kitty's current burst. */
  readonly #bursts = new Map<number, KittyConnection>();

  constructor(options: KittyConnectionsOptions) {
    this.#options = options;
    this.#pool = new KeyedPool<KittyConnection>({
      connector: {
        create: (key) => {
          options.onConnect?.(Number(key));
          return this.#open(Number(key));
        },
        destroy: (connection) => connection.close(options.timeoutMs),
        isAlive: (connection) => connection.usable,
      },
      maxPerKey: 1,
      maxTotal: options.maxConnections,
      idleTimeoutMs: options.idleTimeoutMs,
      reapIntervalMs: options.reapIntervalMs,
      acquireTimeoutMs: options.timeoutMs,
      clock: options.clock,
    });
  }

  /** Sends one request to kitty `pid` and waits for its reply (see {@link KittyConnection}). */
  async send(
    pid: number,
    message: object,
    how: { pooled: boolean; silenceMeans: "timeout" | "auth" },
  ): Promise<KittyResponse> {
    const options = { timeoutMs: this.#options.timeoutMs, silenceMeans: how.silenceMeans };
    if (how.pooled) {
      return await this.#pool.use(String(pid), (connection, lease) => {
        if (lease.reused) this.#options.onReuse?.(pid);
        return connection.request(message, options);
      });
    }
    let connection = this.#bursts.get(pid);
    if (connection === undefined || !connection.usable) {
      this.#options.onConnect?.(pid);
      connection = await this.#open(pid);
      this.#bursts.set(pid, connection);
    } else {
      this.#options.onReuse?.(pid);
    }
    try {
      return await connection.request(message, options);
    } catch (error) {
      this.#bursts.delete(pid);
      await connection.close(0);
      throw error;
    }
  }

  /** Closes kitty `pid`'s burst connection (its queue drained), if it has one. */
  async endBurst(pid: number): Promise<void> {
    const connection = this.#bursts.get(pid);
    if (connection === undefined) return;
    this.#bursts.delete(pid);
    await connection.close(this.#options.timeoutMs);
  }

  /** Closes kitty `pid`'s pooled connection (the process is gone or was replaced). */
  forget(pid: number): void {
    this.#pool.forget(String(pid));
  }

  /** Closes every pooled connection (bursts end with their queues). */
  async close(): Promise<void> {
    await this.#pool.close();
  }

  #open(pid: number): Promise<KittyConnection> {
    return KittyConnection.open(this.#options.socketPathFor(pid), {
      connectTimeoutMs: this.#options.timeoutMs,
      label: `kitty ${pid}`,
      connector: this.#options.connector,
    });
  }
}
