import { type Clock, systemClock } from "./clock.ts";
import { ConnectionError, toConnectionError } from "./errors.ts";
import { TypedEmitter } from "./events.ts";
import { pingUntilFailure } from "./health_ping.ts";
import {
  decideReconnect,
  type ReconnectCause,
  type ReconnectDecision,
} from "./reconnect_decision.ts";
import { isRetryable, type RetryPolicy } from "./retry_policy.ts";
import { type ErrorRecord, TargetStatus } from "./status.ts";
import { supervisedConnect, type SupervisedConnection } from "./supervised_connect.ts";

/**
 * `connecting`: first connect after {@link Supervisor.start} (or after a give-up, on
 * {@link Supervisor.reconnectNow}). `connected`: up (restore done). `reconnecting`: lost, waiting
 * for the next attempt or trying it. `disconnected`: not started, stopped, or gave up.
 */
export type SupervisorState = "connecting" | "connected" | "reconnecting" | "disconnected";

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
  /**
   * Reconnect delays and attempts (the first connect is not a reconnect attempt): each owner
   * passes its own (the focus sources' and the Conbus bridge's never give up).
   */
  policy: RetryPolicy;
  /**
   * Which connect/restore failures are retried (recoverable categories by default). A failure
   * that is not retried → `disconnected` until `reconnectNow()`. Daemons that must wait for a
   * peer that is not up yet may pass `() => true`.
   * @default {(error) => isRetryable(policy, error)}
   */
  retryable?: (error: ConnectionError) => boolean;
  /**
   * Deadline for `connect` + `restore` together; past it the attempt fails with `timeout` (the
   * hooks' signal aborts; a connection that still arrives is closed). 0 = none.
   * @default {10000}
   */
  connectTimeoutMs?: number;
  /**
   * Health ping period (needs `ping`); 0 = no pings.
   * @default {30000}
   */
  healthIntervalMs?: number;
  /**
   * Health ping deadline.
   * @default {5000}
   */
  pingTimeoutMs?: number;
  /** @default {systemClock} */
  clock?: Clock;
  /**
   * Jitter randomness in [0, 1).
   * @default {Math.random}
   */
  random?: () => number;
}

/**
 * What the supervisor is doing — its one state; the public {@link SupervisorState} is derived
 * from it. `attempt`: the reconnect attempt waited for or running (0 = the first connect).
 */
type Phase<C> =
  | { kind: "disconnected" }
  | { kind: "attempting"; attempt: number }
  | { kind: "waiting"; attempt: number; nextRetryAt: number }
  | { kind: "connected"; connection: C; connectedAt: number };

function stateOf(phase: Phase<unknown>): SupervisorState {
  if (phase.kind === "attempting") return phase.attempt === 0 ? "connecting" : "reconnecting";
  return phase.kind === "waiting" ? "reconnecting" : phase.kind;
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
 * hook returns, or a failed ping) and reconnects as its policy says (the rules are the pure
 * `decideReconnect`, reconnect_decision.ts); after a success the backoff starts over. Typed
 * events; a snapshot answers "disconnected, next retry in N ms" at once.
 *
 * @example
 * ```ts
 * const supervisor = new Supervisor<Socket>({
 *   name: "sway",
 *   policy: FOCUS_RECONNECT_POLICY,
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
  readonly #random: () => number;
  readonly #status: TargetStatus<SupervisorState>;
  #phase: Phase<C> = { kind: "disconnected" };
  #loop: Promise<void> | null = null;
  #stopped = false;
  #interrupt = new AbortController();
  #stop = new AbortController();
  #latencyMs: number | null = null;
  #lastPingAt: number | null = null;

  constructor(options: SupervisorOptions<C>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#policy = options.policy;
    this.#random = options.random ?? Math.random;
    this.#status = new TargetStatus(options.name, {
      clock: this.#clock,
      initialStatus: "disconnected",
      upStatuses: ["connected"],
    });
  }

  /** Current state. */
  get state(): SupervisorState {
    return stateOf(this.#phase);
  }

  /** The live connection while `connected`, else null. */
  get connection(): C | null {
    return this.#phase.kind === "connected" ? this.#phase.connection : null;
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
    if (this.#phase.kind === "attempting") return;
    this.#interrupt.abort(REQUESTED);
  }

  /** Stops: aborts waits and connects, closes the connection, state `disconnected`. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stop.abort(STOPPED);
    this.#interrupt.abort(STOPPED);
    await this.#loop;
    this.#enter({ kind: "disconnected" }, STOPPED_REASON);
  }

  /**
   * Resolves with the connection once `connected` (at once if it is); rejects with the
   * signal's reason, or with `closed` when the supervisor stops first.
   */
  waitForConnected(signal?: AbortSignal): Promise<C> {
    if (this.#phase.kind === "connected") return Promise.resolve(this.#phase.connection);
    const stopped = () =>
      new ConnectionError("closed", `${this.#options.name}: supervisor stopped`);
    if (this.#stopped) return Promise.reject(stopped());
    return new Promise<C>((resolve, reject) => {
      const done = () => {
        offStatus();
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        done();
        reject(signal!.reason);
      };
      const offStatus = this.events.on("status_changed", () => {
        if (this.#phase.kind === "connected") {
          done();
          resolve(this.#phase.connection);
        } else if (this.#stopped) {
          done();
          reject(stopped());
        }
      });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** The current status; serialise it with `supervisorStatusToJson` (supervisor_status.ts). */
  snapshot(): SupervisorSnapshot {
    const now = this.#clock.now();
    const record = this.#status.snapshot();
    const phase = this.#phase;
    const nextRetryAt = phase.kind === "waiting" ? phase.nextRetryAt : null;
    return {
      name: this.#options.name,
      state: stateOf(phase),
      since: record.since,
      reason: record.reason,
      latencyMs: this.#latencyMs,
      lastPingAt: this.#lastPingAt,
      reconnectionCount: record.counters.reconnections,
      uptimeMs: phase.kind === "connected" ? now - phase.connectedAt : 0,
      attempt: phase.kind === "waiting" || phase.kind === "attempting" ? phase.attempt : 0,
      maxAttempts: this.#policy.maxAttempts,
      nextRetryAt,
      nextRetryMs: nextRetryAt === null ? null : Math.max(0, nextRetryAt - now),
      lastError: record.errors.at(-1) ?? null,
      errors: record.errors,
    };
  }

  /**
   * Attempt, watch, decide (reconnect_decision.ts), wait, attempt again — until stopped; a
   * give-up waits for reconnectNow.
   */
  async #run(): Promise<void> {
    this.#enter({ kind: "attempting", attempt: 0 }, null);
    while (!this.#stopped) {
      const attempt = this.#phase.kind === "attempting" ? this.#phase.attempt : 0;
      const next = await this.#attemptAndWatch(attempt);
      if (next === null) break;
      const goOn = next === "give_up" ? await this.#giveUp() : await this.#waitForRetry();
      if (!goOn) break;
    }
    this.#enter({ kind: "disconnected" }, STOPPED_REASON);
  }

  /**
   * Connects (attempt `attempt`), watches the connection until it ends, and applies the
   * reconnect decision for why it ended; null when the supervisor stopped meanwhile.
   */
  async #attemptAndWatch(attempt: number): Promise<ReconnectDecision["action"] | null> {
    let supervised: SupervisedConnection<C>;
    try {
      supervised = await supervisedConnect({
        name: this.#options.name,
        hooks: this.#options,
        timeoutMs: this.#options.connectTimeoutMs ?? 10_000,
        clock: this.#clock,
        signal: this.#stop.signal,
        close: (connection) => this.#closeConnection(connection),
      });
    } catch (failure) {
      if (this.#stopped) return null;
      const error = this.#recordFailure(failure);
      const retryable = this.#options.retryable ?? ((e) => isRetryable(this.#policy, e));
      return this.#decide({ kind: "attempt_failed", attempt, error, retryable: retryable(error) });
    }
    const connection = supervised.connection;
    if (this.#stopped) {
      this.#closeConnection(connection);
      return null;
    }
    if (this.#status.snapshot().counters.connects > 0) this.#status.count("reconnections");
    this.#status.count("connects");
    this.#enter({ kind: "connected", connection, connectedAt: this.#clock.now() }, null);
    const loss = await this.#watch(supervised);
    this.#latencyMs = null;
    this.#closeConnection(connection);
    if (this.#stopped) return null;
    if (loss === REQUESTED) return this.#decide({ kind: "requested" });
    return this.#decide({ kind: "lost", error: this.#recordFailure(loss) });
  }

  /**
   * Applies the reconnect decision for `cause` in the same turn as the loss (the state never
   * says `connected` for a closed connection): `disconnected`, or `reconnecting` with the
   * attempt announced.
   */
  #decide(cause: ReconnectCause): ReconnectDecision["action"] {
    const name = this.#options.name;
    const policy = this.#policy;
    const next = decideReconnect({ name, cause, policy, jitterDraw: this.#random() });
    if (next.action === "give_up") {
      this.#enter({ kind: "disconnected" }, next.reason);
      return next.action;
    }
    const { attempt, delayMs, error } = next;
    const nextRetryAt = this.#clock.now() + delayMs;
    this.#enter({ kind: "waiting", attempt, nextRetryAt }, error.message);
    this.events.emit("reconnect_attempt", {
      name,
      attempt,
      maxAttempts: policy.maxAttempts,
      nextRetryMs: delayMs,
      error,
    });
    return next.action;
  }

  /** Waits until the announced retry is due (reconnectNow cuts it short); false once stopped. */
  async #waitForRetry(): Promise<boolean> {
    if (this.#phase.kind !== "waiting") return false;
    const { attempt, nextRetryAt } = this.#phase;
    try {
      await this.#clock.sleep(nextRetryAt - this.#clock.now(), this.#interrupt.signal);
    } catch {
      this.#renewInterrupt();
    }
    if (this.#stopped) return false;
    this.#enter({ kind: "attempting", attempt }, this.#status.reason);
    return true;
  }

  #recordFailure(failure: unknown): ConnectionError {
    const error = toConnectionError(failure, this.#options.name);
    this.#status.recordError(error);
    this.#status.count("failures");
    return error;
  }

  /** Stays `disconnected` until reconnectNow (→ true, state `connecting`) or stop (→ false). */
  async #giveUp(): Promise<boolean> {
    const signal = this.#interrupt.signal;
    if (!signal.aborted) {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    }
    this.#renewInterrupt();
    if (this.#stopped) return false;
    this.#enter({ kind: "attempting", attempt: 0 }, "reconnect requested");
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

  /** Health pings while connected (see health_ping.ts); never settles without `ping`. */
  #pingLoop(connection: C, signal: AbortSignal): Promise<unknown> {
    const ping = this.#options.ping;
    const intervalMs = this.#options.healthIntervalMs ?? 30_000;
    if (ping === undefined || intervalMs === 0) return new Promise(() => {});
    const name = this.#options.name;
    return pingUntilFailure({
      connection,
      ping,
      name,
      intervalMs,
      timeoutMs: this.#options.pingTimeoutMs ?? 5_000,
      clock: this.#clock,
      signal,
      onResult: (result) => {
        this.#lastPingAt = result.at;
        if (result.ok) {
          this.#latencyMs = result.latencyMs;
          this.#status.recordActivity();
        }
        this.events.emit("health_update", {
          name,
          ok: result.ok,
          latencyMs: result.ok ? result.latencyMs : null,
          error: result.ok ? null : result.error,
          at: result.at,
        });
      },
    });
  }

  #closeConnection(connection: C): void {
    const disconnect = this.#options.disconnect;
    if (disconnect === undefined) return;
    Promise.resolve().then(() => disconnect(connection)).catch(() => {});
  }

  #renewInterrupt(): void {
    if (this.#interrupt.signal.aborted && !this.#stopped) this.#interrupt = new AbortController();
  }

  /** Moves to `phase`; the derived state's change (if any) goes to the record and the events. */
  #enter(phase: Phase<C>, reason: string | null): void {
    const from = stateOf(this.#phase);
    const to = stateOf(phase);
    this.#phase = phase;
    if (!this.#status.setStatus(to, reason)) return;
    this.events.emit("status_changed", {
      name: this.#options.name,
      from,
      to,
      reason,
      at: this.#clock.now(),
    });
  }
}
