import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { ConnectionError, toConnectionError } from "./errors.ts";
import { TypedEmitter } from "./events.ts";
import {
  delaySequence,
  hasAttemptsLeft,
  isRetryable,
  RECONNECT_POLICY,
  type RetryPolicy,
} from "./retry_policy.ts";
import { type ErrorRecord, TargetStatus } from "./status.ts";
import { type SupervisorStatusJson, supervisorStatusToJson } from "./supervisor_status.ts";

/**
 * `connecting`: first connect after {@link Supervisor.start} (or after a give-up, on
 * {@link Supervisor.reconnectNow}). `connected`: up (restore done). `reconnecting`: lost, waiting
 * for the next attempt or trying it. `disconnected`: not started, stopped, or gave up.
 */
export type SupervisorState = "connecting" | "connected" | "reconnecting" | "disconnected";

/** What the `connect` hook returns: the connection and how to learn that it was lost. */
export interface SupervisedConnection<C> {
  /** The connection (a socket, an IPC client, ...). */
  connection: C;
  /**
   * Settles when the connection is lost (peer closed, stream error): resolving or rejecting
   * both mean "lost"; a rejection's error (or a resolved Error) becomes the loss reason.
   */
  closed: Promise<unknown>;
}

/** Options for {@link Supervisor}; durations in ms. */
export interface SupervisorOptions<C> {
  /** Names the target in messages and status ("sway", "conbus 10.0.0.5:10001"). */
  name: string;
  /** Opens the connection; throw a {@link ConnectionError} on failure. */
  connect(signal: AbortSignal): Promise<SupervisedConnection<C>>;
  /**
   * Runs after every (re)connect, before the state becomes `connected` (re-subscribe, re-read
   * state). A throw closes the connection and counts as a failed attempt.
   */
  restore?(connection: C, signal: AbortSignal): Promise<void> | void;
  /**
   * Health probe, run every `healthIntervalMs` while connected; its duration is the latency. A
   * throw or no answer within `pingTimeoutMs` counts as a loss (→ reconnect).
   */
  ping?(connection: C, signal: AbortSignal): Promise<void> | void;
  /** Closes a connection (on loss, failed ping/restore, reconnectNow, stop). Errors ignored. */
  disconnect?(connection: C): Promise<void> | void;
  /** Reconnect delays and attempts. Default {@link RECONNECT_POLICY} (1 s ×2 ≤ 60 s, jitter, 10). */
  policy?: RetryPolicy;
  /**
   * Which connect/restore failures are retried. Default: `isRetryable(policy, error)`
   * (recoverable categories). A failure that is not retried → `disconnected` until
   * `reconnectNow()`. Daemons that must wait for a peer that is not up yet may pass `() => true`.
   */
  retryable?: (error: ConnectionError) => boolean;
  /**
   * Deadline for `connect` + `restore` together; past it the attempt fails with `timeout` (the
   * hooks' signal aborts; a connection that still arrives is closed). Default 10000; 0 = none.
   */
  connectTimeoutMs?: number;
  /** Health ping period (needs `ping`). Default 30000; 0 = no pings. */
  healthIntervalMs?: number;
  /** Health ping deadline. Default 5000. */
  pingTimeoutMs?: number;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Jitter randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Events of a {@link Supervisor} (names as printed in JSON lines). */
export interface SupervisorEvents {
  /** The state changed. */
  status_changed: {
    name: string;
    from: SupervisorState;
    to: SupervisorState;
    reason: string | null;
    at: number;
  };
  /** A health ping finished (ok with latency) or failed. */
  health_update: {
    name: string;
    ok: boolean;
    latencyMs: number | null;
    error: ConnectionError | null;
    at: number;
  };
  /** A reconnect attempt was scheduled: it runs after `nextRetryMs`. */
  reconnect_attempt: {
    name: string;
    attempt: number;
    /** 0 = unlimited. */
    maxAttempts: number;
    nextRetryMs: number;
    error: ConnectionError;
  };
}

/** A point-in-time view of a {@link Supervisor} (camelCase, clock ms). */
export interface SupervisorSnapshot {
  /** The target's name. */
  name: string;
  /** Current state. */
  state: SupervisorState;
  /** When the state last changed. */
  since: number;
  /** Why it is in this state (loss reason, give-up reason), or null. */
  reason: string | null;
  /** Latency of the last successful health ping, or null. */
  latencyMs: number | null;
  /** When the last health ping finished, or null. */
  lastPingAt: number | null;
  /** Successful reconnects after a loss (the first connect is not one). */
  reconnectionCount: number;
  /** How long the current connection has been up (0 when not connected). */
  uptimeMs: number;
  /** The reconnect attempt scheduled or running (0 when connected or not retrying). */
  attempt: number;
  /** The policy's max attempts (0 = unlimited). */
  maxAttempts: number;
  /** When the next attempt runs, or null. */
  nextRetryAt: number | null;
  /** Milliseconds until the next attempt (from now), or null. */
  nextRetryMs: number | null;
  /** The latest error, or null. */
  lastError: ErrorRecord | null;
  /** The last 10 errors, oldest first. */
  errors: ErrorRecord[];
}

const REQUESTED = Symbol("reconnect requested");
const STOPPED = Symbol("stopped");

/** The reason of the `disconnected` state after {@link Supervisor.stop}: asked for, not a problem. */
export const STOPPED_REASON = "stopped";

/**
 * Keeps one long-lived connection up (niri event stream, sway subscription, Conbus bridge):
 * connects, runs `restore`, pings for health, notices loss (the `closed` promise the connect
 * hook returns, or a failed ping) and reconnects with the exponential policy; after a success the
 * backoff starts over. Typed events; a snapshot answers "disconnected, next retry in N ms" at
 * once.
 *
 * @example
 * ```ts
 * const supervisor = new Supervisor<Socket>({
 *   name: "sway",
 *   connect: async (signal) => { const socket = await openSway(signal); return { connection: socket, closed: onceClosed(socket) }; },
 *   restore: (socket) => subscribe(socket, ["window", "workspace"]),
 *   ping: (socket) => getVersion(socket),
 *   disconnect: (socket) => socket.destroy(),
 * });
 * supervisor.events.on("status_changed", (event) => log.info(`${event.from} -> ${event.to}`));
 * supervisor.start();
 * await supervisor.stop();
 * ```
 */
export class Supervisor<C> {
  /** status_changed / health_update / reconnect_attempt. */
  readonly events: TypedEmitter<SupervisorEvents> = new TypedEmitter();
  readonly #options: SupervisorOptions<C>;
  readonly #clock: Clock;
  readonly #policy: RetryPolicy;
  readonly #status: TargetStatus<SupervisorState>;
  #state: SupervisorState = "disconnected";
  #connection: C | null = null;
  #connectedAt: number | null = null;
  #loop: Promise<void> | null = null;
  #stopped = false;
  #phase: "idle" | "waiting" | "connecting" | "connected" | "gave_up" = "idle";
  #interrupt = new AbortController();
  #stop = new AbortController();
  #attempt = 0;
  #nextRetryAt: number | null = null;
  #latencyMs: number | null = null;
  #lastPingAt: number | null = null;
  #reconnectionCount = 0;

  constructor(options: SupervisorOptions<C>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#policy = options.policy ?? RECONNECT_POLICY;
    this.#status = new TargetStatus(options.name, {
      clock: this.#clock,
      initialStatus: "disconnected",
      upStatuses: ["connected"],
    });
  }

  /** Current state. */
  get state(): SupervisorState {
    return this.#state;
  }

  /** The live connection while `connected`, else null. */
  get connection(): C | null {
    return this.#state === "connected" ? this.#connection : null;
  }

  /** Starts connecting (in the background); a second call does nothing. */
  start(): void {
    if (this.#loop !== null || this.#stopped) return;
    this.#loop = this.#run();
  }

  /**
   * Reconnects now: when connected, closes the connection and connects again at once; when
   * waiting for a retry, runs it at once; after a give-up, starts over; when not started,
   * starts. While a connect is already running it does nothing.
   */
  reconnectNow(): void {
    if (this.#stopped) return;
    if (this.#loop === null) return this.start();
    if (this.#phase === "connecting") return;
    this.#interrupt.abort(REQUESTED);
  }

  /** Stops: aborts waits and connects, closes the connection, state `disconnected`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop.abort(STOPPED);
    this.#interrupt.abort(STOPPED);
    await this.#loop;
    this.#setState("disconnected", STOPPED_REASON);
  }

  /**
   * Resolves with the connection once `connected` (at once if it is); rejects with the
   * signal's reason, or with `closed` when the supervisor stops first.
   */
  waitForConnected(signal?: AbortSignal): Promise<C> {
    if (this.#state === "connected" && this.#connection !== null) {
      return Promise.resolve(this.#connection);
    }
    if (this.#stopped) {
      return Promise.reject(
        new ConnectionError("closed", `${this.#options.name}: supervisor stopped`),
      );
    }
    return new Promise<C>((resolve, reject) => {
      const done = () => {
        offStatus();
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const offStatus = this.events.on("status_changed", (event) => {
        if (event.to === "connected" && this.#connection !== null) {
          done();
          resolve(this.#connection);
        } else if (this.#stopped) {
          done();
          reject(new ConnectionError("closed", `${this.#options.name}: supervisor stopped`));
        }
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** The current status. */
  snapshot(): SupervisorSnapshot {
    const now = this.#clock.now();
    const record = this.#status.snapshot();
    return {
      name: this.#options.name,
      state: this.#state,
      since: record.since,
      reason: record.reason,
      latencyMs: this.#latencyMs,
      lastPingAt: this.#lastPingAt,
      reconnectionCount: this.#reconnectionCount,
      uptimeMs: this.#connectedAt === null ? 0 : now - this.#connectedAt,
      attempt: this.#attempt,
      maxAttempts: this.#policy.maxAttempts,
      nextRetryAt: this.#nextRetryAt,
      nextRetryMs: this.#nextRetryAt === null ? null : Math.max(0, this.#nextRetryAt - now),
      lastError: record.errors.at(-1) ?? null,
      errors: record.errors,
    };
  }

  /** The snake_case JSON form of {@link Supervisor.snapshot}. */
  toJSON(): SupervisorStatusJson {
    return supervisorStatusToJson(this.snapshot());
  }

  async #run(): Promise<void> {
    const name = this.#options.name;
    let delays = delaySequence(this.#policy, this.#options.random);
    let lastError: ConnectionError | null = null;
    let immediate = false;
    this.#attempt = 0;
    this.#setState("connecting", null);
    while (!this.#stopped) {
      if (this.#attempt > 0 && lastError !== null) {
        if (!hasAttemptsLeft(this.#policy, this.#attempt - 1)) {
          const reason = `${name}: gave up after ${
            this.#attempt - 1
          } reconnect attempts: ${lastError.message} — run a reconnect to try again`;
          if (!(await this.#giveUp(reason))) break;
          delays = delaySequence(this.#policy, this.#options.random);
          lastError = null;
          continue;
        }
        const planned = delays.next();
        const delayMs = immediate ? 0 : planned;
        immediate = false;
        this.#nextRetryAt = this.#clock.now() + delayMs;
        this.#setState("reconnecting", lastError.message);
        this.events.emit("reconnect_attempt", {
          name,
          attempt: this.#attempt,
          maxAttempts: this.#policy.maxAttempts,
          nextRetryMs: delayMs,
          error: lastError,
        });
        this.#phase = "waiting";
        try {
          await this.#clock.sleep(delayMs, this.#interrupt.signal);
        } catch {
          this.#renewInterrupt();
        }
        this.#nextRetryAt = null;
        if (this.#stopped) break;
      }
      this.#phase = "connecting";
      let connection: C | null = null;
      try {
        const supervised = await this.#establish();
        connection = supervised.connection;
        this.#connection = connection;
        if (this.#stopped) break;
        const reconnected = this.#reconnectionCount > 0 ||
          this.#status.snapshot().counters.connects > 0;
        this.#status.count("connects");
        if (reconnected) {
          this.#reconnectionCount++;
          this.#status.count("reconnections");
        }
        this.#attempt = 0;
        delays = delaySequence(this.#policy, this.#options.random);
        this.#connectedAt = this.#clock.now();
        this.#phase = "connected";
        this.#setState("connected", null);
        const loss = await this.#watch(supervised);
        this.#connectedAt = null;
        this.#latencyMs = null;
        this.#closeConnection(connection);
        connection = null;
        if (this.#stopped) break;
        if (loss === REQUESTED) {
          immediate = true;
          lastError = new ConnectionError("closed", `${name}: reconnect requested`);
        } else {
          lastError = toConnectionError(loss, name);
          this.#status.recordError(lastError);
          this.#status.count("failures");
        }
        this.#attempt = 1;
      } catch (error) {
        if (connection !== null) this.#closeConnection(connection);
        if (this.#stopped) break;
        lastError = toConnectionError(error, name);
        this.#status.recordError(lastError);
        this.#status.count("failures");
        const retryable = this.#options.retryable ?? ((e) => isRetryable(this.#policy, e));
        if (!retryable(lastError)) {
          if (!(await this.#giveUp(`${name}: ${lastError.message}`))) break;
          delays = delaySequence(this.#policy, this.#options.random);
          lastError = null;
          continue;
        }
        this.#attempt++;
      }
    }
    if (this.#connection !== null) this.#closeConnection(this.#connection);
    this.#phase = "idle";
    this.#attempt = 0;
    this.#nextRetryAt = null;
  }

  /**
   * connect + restore under `connectTimeoutMs` (a hung peer must not wedge the supervisor; the
   * hooks get an aborted signal and a late connection is closed).
   */
  async #establish(): Promise<SupervisedConnection<C>> {
    const name = this.#options.name;
    const timeoutMs = this.#options.connectTimeoutMs ?? 10_000;
    const attempt = new AbortController();
    const onStop = () => attempt.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener("abort", onStop, { once: true });
    let delivered: C | null = null;
    let closed = false;
    const closeDelivered = () => {
      if (delivered === null || closed) return;
      closed = true;
      this.#closeConnection(delivered);
    };
    const work = (async () => {
      const supervised = await this.#options.connect(attempt.signal);
      delivered = supervised.connection;
      attempt.signal.throwIfAborted();
      await this.#options.restore?.(supervised.connection, attempt.signal);
      attempt.signal.throwIfAborted();
      return supervised;
    })();
    // Whenever the attempt fails — by itself, on timeout or stop, even after we stopped waiting
    // for it — a connection it delivered is closed.
    work.catch(closeDelivered);
    let timer: TimerHandle | null = null;
    const deadline = new Promise<never>((_, reject) => {
      attempt.signal.addEventListener("abort", () => reject(attempt.signal.reason), { once: true });
      if (timeoutMs > 0) {
        timer = this.#clock.setTimeout(() => {
          attempt.abort(
            new ConnectionError(
              "timeout",
              `${name}: not connected within ${timeoutMs} ms (connect and restore)`,
            ),
          );
        }, timeoutMs);
      }
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      closeDelivered();
      throw error;
    } finally {
      if (timer !== null) this.#clock.clearTimeout(timer);
      this.#stop.signal.removeEventListener("abort", onStop);
    }
  }

  /** Enters `disconnected` until reconnectNow (→ true, state `connecting`) or stop (→ false). */
  async #giveUp(reason: string): Promise<boolean> {
    this.#phase = "gave_up";
    this.#attempt = 0;
    this.#setState("disconnected", reason);
    const signal = this.#interrupt.signal;
    if (!signal.aborted) {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    }
    this.#renewInterrupt();
    if (this.#stopped) return false;
    this.#setState("connecting", "reconnect requested");
    return true;
  }

  /** Resolves with the loss reason, REQUESTED (reconnectNow) or STOPPED. */
  async #watch(supervised: SupervisedConnection<C>): Promise<unknown> {
    const done = new AbortController();
    const interrupt = this.#interrupt.signal;
    const lost = supervised.closed.then(
      (value) =>
        value instanceof Error
          ? value
          : new ConnectionError("closed", `${this.#options.name}: connection closed by peer`),
      (error) => error,
    );
    let onInterrupt = () => {};
    const interrupted = new Promise<unknown>((resolve) => {
      onInterrupt = () => resolve(interrupt.reason);
      if (interrupt.aborted) onInterrupt();
      interrupt.addEventListener("abort", onInterrupt, { once: true });
    });
    try {
      const reason = await Promise.race([
        lost,
        interrupted,
        this.#pingLoop(supervised.connection, done.signal),
      ]);
      if (reason === REQUESTED || reason === STOPPED) this.#renewInterrupt();
      return reason;
    } finally {
      done.abort();
      interrupt.removeEventListener("abort", onInterrupt);
    }
  }

  /** Pings until a ping fails (→ resolves with its error) or `signal` aborts (never resolves). */
  async #pingLoop(connection: C, signal: AbortSignal): Promise<unknown> {
    const ping = this.#options.ping;
    const intervalMs = this.#options.healthIntervalMs ?? 30_000;
    if (ping === undefined || intervalMs === 0) return new Promise(() => {});
    const timeoutMs = this.#options.pingTimeoutMs ?? 5_000;
    const name = this.#options.name;
    for (;;) {
      try {
        await this.#clock.sleep(intervalMs, signal, { unref: true });
      } catch {
        return new Promise(() => {});
      }
      const started = this.#clock.now();
      const pingAbort = new AbortController();
      const onDone = () => pingAbort.abort(signal.reason);
      signal.addEventListener("abort", onDone, { once: true });
      try {
        await Promise.race([
          Promise.resolve().then(() => ping(connection, pingAbort.signal)),
          this.#clock.sleep(timeoutMs, pingAbort.signal, { unref: true }).then(() => {
            throw new ConnectionError(
              "timeout",
              `${name}: no answer to the health ping within ${timeoutMs} ms`,
            );
          }),
        ]);
        if (signal.aborted) return new Promise(() => {});
        const now = this.#clock.now();
        this.#latencyMs = now - started;
        this.#lastPingAt = now;
        this.#status.recordActivity();
        this.events.emit("health_update", {
          name,
          ok: true,
          latencyMs: this.#latencyMs,
          error: null,
          at: now,
        });
      } catch (error) {
        if (signal.aborted) return new Promise(() => {});
        const failure = toConnectionError(error, `${name}: health ping`);
        this.#lastPingAt = this.#clock.now();
        this.events.emit("health_update", {
          name,
          ok: false,
          latencyMs: null,
          error: failure,
          at: this.#lastPingAt,
        });
        return failure;
      } finally {
        pingAbort.abort();
        signal.removeEventListener("abort", onDone);
      }
    }
  }

  #closeConnection(connection: C): void {
    if (this.#connection === connection) this.#connection = null;
    const disconnect = this.#options.disconnect;
    if (disconnect === undefined) return;
    Promise.resolve().then(() => disconnect(connection)).catch(() => {});
  }

  #renewInterrupt(): void {
    if (this.#interrupt.signal.aborted && !this.#stopped) this.#interrupt = new AbortController();
  }

  #setState(state: SupervisorState, reason: string | null): void {
    const from = this.#state;
    const changed = this.#status.setStatus(state, reason);
    this.#state = state;
    if (!changed) return;
    this.events.emit("status_changed", {
      name: this.#options.name,
      from,
      to: state,
      reason,
      at: this.#clock.now(),
    });
  }
}
