import { type Clock, systemClock } from "../resilience/clock.ts";
import type { ControlRequest } from "../resilience/control_protocol.ts";
import { type ControlServer, serveControlSocket } from "../resilience/control_socket.ts";
import { ConnectionError } from "../resilience/errors.ts";
import type { Lease } from "../resilience/pool_lease.ts";
import { exponentialPolicy, type RetryPolicy } from "../resilience/retry_policy.ts";
import { FlapLogThrottle } from "../resilience/flap_log_throttle.ts";
import { Supervisor } from "../resilience/supervisor.ts";
import { waitAtMost } from "../resilience/wait_at_most.ts";
import { supervisorStatusToJson } from "../resilience/supervisor_status.ts";
import type { Logger } from "../platform/logger.ts";
import { memoryReport, startMemoryRelease } from "../platform/runtime_memory.ts";
import {
  type BridgeConnection,
  type BridgeEndpoint,
  endpointLabel,
  type Incoming,
  type Receiver,
} from "./bridge_connection.ts";
import { type BridgeConnect, createBridgePool, poolAcquirer } from "./bridge_pool.ts";
import { BusPacer } from "./bus_pacer.ts";
import { IdleReporter } from "./idle_reporter.ts";
import { poolConnectionLoss } from "./pool_connection_loss.ts";
import { sendTelegrams } from "./conbus_client.ts";
import { type DaemonSend, type DaemonSendReply, parseSendRequest } from "./daemon_protocol.ts";
import type { ConbusStatus } from "./conbus_status.ts";
import { TranscriptRecorder } from "./send_report.ts";
import { roundMs } from "../platform/time_format.ts";

/** Options for {@link ConbusDaemon.start}. */
export interface ConbusDaemonOptions {
  /** The bridge. */
  endpoint: BridgeEndpoint;
  /** The control socket (`$XDG_RUNTIME_DIR/tether/conbus.sock`). */
  socketPath: string;
  /** Minimum gap between two telegrams on the bus, across all clients. */
  minGapMs: number;
  /** Connect timeout. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Requests waiting at most (FIFO); more are refused as `busy`. Default 64. */
  maxQueue?: number;
  /** Reconnect backoff. Default exponential 1 s ×2 ≤ 60 s, unlimited attempts. */
  reconnectPolicy?: RetryPolicy;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /** Default: TCP. */
  connect?: BridgeConnect;
  /** Logs connection changes and bus traffic seen while idle. */
  logger: Logger;
  /**
   * Called for a telegram that arrived while no request ran (a bus event while idle), at most
   * `maxIdleReportsPerSecond` times a second.
   */
  onIdleTelegram?: (incoming: Incoming) => void;
  /** Called a second after a flood began with how many idle telegrams were not reported. */
  onIdleNotShown?: (count: number, atMs: number) => void;
  /** Idle telegrams reported per second at most; the rest are counted. Default 100. */
  maxIdleReportsPerSecond?: number;
}

/**
 * How long stop() lets the request in flight finish before cutting its bridge connection (its
 * outcome is then unknown). With the control socket's own 1 s drain, SIGTERM ends serve within
 * about 3 s whatever is in flight or queued.
 */
export const STOP_GRACE_MS = 1000;

/**
 * `tether conbus serve`: owns the bridge's single TCP connection (shared pool: max 1, min idle
 * 1, 6 h idle timeout and lifetime, collector, aliveness check) under the shared supervisor
 * (reconnect with backoff), and serves `send` requests from many clients on a control socket one
 * at a time, FIFO, with `minGapMs` between telegrams. A request while the bridge is disconnected
 * fails at once with the next retry time; it is not queued. Each request's timeout counts from
 * its arrival: time spent waiting behind others is taken from it, and one whose time ran out
 * in the queue is answered without sending anything, so no client is held past its timeout.
 *
 * @example
 * ```ts
 * const daemon = await ConbusDaemon.start({ endpoint, socketPath, minGapMs: 50, logger });
 * await daemon.stop();
 * ```
 */
export class ConbusDaemon {
  readonly #options: ConbusDaemonOptions;
  readonly #clock: Clock;
  readonly #key: string;
  readonly #pool;
  readonly #acquirePooled;
  readonly #supervisor: Supervisor<BridgeConnection>;
  readonly #startedAt: number;
  // One bus: the gap holds across requests and across reconnects.
  readonly #pacer: BusPacer;
  #control: ControlServer | null = null;
  /** Stops handing memory back after floods (README "Reliability"). */
  #stopMemoryRelease: () => void = () => {};
  #queue: Promise<unknown> = Promise.resolve();
  #queued = 0;
  #stopping = false;
  /** The bridge connection a request is using right now (cut by stop() after the grace). */
  #inFlight: BridgeConnection | null = null;
  #served = 0;
  readonly #idle: IdleReporter;
  readonly #idleReceiver: Receiver = { receive: (incoming) => this.#idle.report(incoming) };
  #lastLatencyMs: number | null = null;
  readonly #lifecycle = new AbortController();

  private constructor(options: ConbusDaemonOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#key = endpointLabel(options.endpoint);
    this.#startedAt = this.#clock.now();
    this.#pacer = new BusPacer(options.minGapMs);
    this.#idle = new IdleReporter({
      clock: this.#clock,
      maxPerSecond: options.maxIdleReportsPerSecond ?? 100,
      onTelegram: options.onIdleTelegram,
      onNotShown: options.onIdleNotShown,
    });
    this.#pool = createBridgePool(options.endpoint, {
      keepOpen: true,
      connectTimeoutMs: options.connectTimeoutMs,
      clock: options.clock,
      connect: options.connect,
    });
    this.#acquirePooled = poolAcquirer(this.#pool, options.endpoint);
    // A connection the pool opens in the background (min idle 1) reports bus traffic at once.
    this.#pool.events.on("create", (event) => this.#listenIdle(event.connection));
    this.#supervisor = new Supervisor<BridgeConnection>({
      name: `Conbus bridge ${this.#key}`,
      connect: (signal) => this.#connect(signal),
      policy: options.reconnectPolicy ?? exponentialPolicy({ maxAttempts: 0 }),
      // The bridge may be off or taken by another client for a while: keep trying.
      retryable: () => true,
      clock: options.clock,
    });
    // A bridge that accepts and at once closes again would log two lines a cycle forever.
    const flaps = new FlapLogThrottle({ stableMs: 10_000 });
    this.#supervisor.events.on("status_changed", (event) => {
      let note = "";
      if (event.to === "connected") {
        if (!flaps.connected(this.#clock.now()).log) return;
      } else if (event.from === "connected") {
        const verdict = flaps.lost(this.#clock.now());
        if (!verdict.log) return;
        note = verdict.note === "" ? "" : ` ${verdict.note}`;
      }
      const line = `${event.name}: ${event.from} -> ${event.to}${
        event.reason === null ? "" : ` (${event.reason})`
      }${note}`;
      const trouble = event.to === "reconnecting" ||
        (event.to === "disconnected" && event.reason !== "stopped");
      if (trouble) options.logger.warn(line);
      else options.logger.info(line);
    });
  }

  /** Starts connecting (in the background) and listens on the control socket. */
  static async start(options: ConbusDaemonOptions): Promise<ConbusDaemon> {
    const daemon = new ConbusDaemon(options);
    try {
      daemon.#control = await serveControlSocket(options.socketPath, {
        status: () => daemon.status(),
        send: (request) => daemon.handleSend(request),
        reconnect: () => daemon.reconnect(),
        memory: (request) => memoryReport(request.gc !== false),
      });
    } catch (error) {
      await daemon.#pool.close(); // another serve owns the socket: leave no collector behind
      throw error;
    }
    daemon.#supervisor.start();
    daemon.#stopMemoryRelease = startMemoryRelease();
    return daemon;
  }

  /** Resolves once the bridge is connected (tests, startup logs). */
  waitForConnected(signal?: AbortSignal): Promise<unknown> {
    return this.#supervisor.waitForConnected(signal);
  }

  /** The `status` reply (the shared daemon status plus the bridge's counters). */
  status(): ConbusStatus {
    const supervisor = supervisorStatusToJson(this.#supervisor.snapshot());
    return {
      daemon: "conbus",
      pid: process.pid,
      uptime_ms: Math.round(this.#clock.now() - this.#startedAt),
      reconnection_count: supervisor.reconnection_count,
      endpoint: this.#key,
      connection: { ...supervisor, latency_ms: this.#lastLatencyMs },
      pool: this.#pool.stats(),
      requests_served: this.#served,
      queue_length: this.#queued,
      idle_telegrams: this.#idle.seen,
      idle_telegrams_not_shown: this.#idle.notShown,
    };
  }

  /** Handles one `send` request (queued FIFO behind the others). */
  handleSend(request: ControlRequest): Promise<DaemonSendReply> {
    const send = parseSendRequest(request);
    if (
      (send.host !== undefined && send.host !== this.#options.endpoint.host) ||
      (send.port !== undefined && send.port !== this.#options.endpoint.port)
    ) {
      return Promise.resolve({
        accepted: false,
        reason: `serves ${this.#key}, not ${send.host ?? this.#options.endpoint.host}:${
          send.port ?? this.#options.endpoint.port
        }`,
        endpoint: this.#key,
      });
    }
    if (this.#stopping) {
      throw new ConnectionError("closed", "tether conbus serve is shutting down; try again");
    }
    this.#refuseWhileDisconnected();
    if (this.#queued >= (this.#options.maxQueue ?? 64)) {
      // Not recoverable: a client that polled a full queue would only fill it faster (and a
      // request sent again late gets serve's full timeout, past the client's own).
      throw new ConnectionError(
        "busy",
        `${this.#queued} requests already waiting; try again later`,
        { recoverable: false },
      );
    }
    this.#queued++;
    const deadlineMs = this.#clock.now() + send.timeoutMs;
    const run = this.#queue.then(() => this.#serve(send, deadlineMs)).finally(() => this.#queued--);
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * `{"cmd":"reconnect"}`: closes the bridge connection and connects again — queued behind the
   * requests already waiting, so it never cuts one off. Resolves once the reconnect started.
   */
  reconnect(): Promise<{ reconnecting: true }> {
    const run = this.#queue.then(() => {
      // Closes the idle connection now (a destroy the supervisor does not count as a loss) and
      // stops keeping the key warm until the supervisor's connect warms it again.
      this.#pool.forget(this.#key);
      this.#supervisor.reconnectNow();
      return { reconnecting: true } as const;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Stops within a bounded time: refuses new requests, answers queued ones with "shutting
   * down; nothing sent", gives the one in flight {@link STOP_GRACE_MS} and then cuts its
   * connection (its client gets the report, outcome unknown), closes the bridge and the socket.
   */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#lifecycle.abort();
    this.#stopMemoryRelease();
    if (!(await waitAtMost(this.#queue, STOP_GRACE_MS, this.#clock))) {
      this.#inFlight?.close();
      await waitAtMost(this.#queue, STOP_GRACE_MS, this.#clock);
    }
    // close() lets the control socket finish writing replies in progress.
    await this.#control?.close();
    await this.#supervisor.stop();
    await this.#pool.close();
    this.#idle.flush();
  }

  async #serve(send: DaemonSend, deadlineMs: number): Promise<DaemonSendReply> {
    if (this.#stopping) {
      throw new ConnectionError(
        "closed",
        "tether conbus serve is shutting down; nothing sent, try again",
      );
    }
    const remainingMs = deadlineMs - this.#clock.now();
    if (remainingMs <= 0) {
      throw new ConnectionError(
        "timeout",
        `waited in tether conbus serve's queue past its ${send.timeoutMs} ms timeout; nothing sent`,
      );
    }
    this.#refuseWhileDisconnected();
    const recorder = new TranscriptRecorder();
    const sentAt = new Map<string, number>();
    const result = await sendTelegrams(send.telegrams, {
      acquire: (signal) => this.#acquire(signal),
      // Aborted by stop(): a request whose connection stop() cut gets no fresh one.
      signal: this.#lifecycle.signal,
      timeoutMs: remainingMs,
      quietMs: send.quietMs,
      minGapMs: this.#options.minGapMs,
      pacer: this.#pacer,
      clock: this.#clock,
      onSent: (telegram, atMs, attempt) => {
        sentAt.set(telegram.frame, atMs);
        recorder.onSent(telegram, atMs, attempt);
      },
      onReceived: (incoming, routing) => {
        if (routing?.kind === "reply") {
          const sent = sentAt.get(send.telegrams[routing.index]!.frame);
          if (sent !== undefined) {
            this.#lastLatencyMs = roundMs(incoming.atMs - sent);
          }
        }
        recorder.onReceived(incoming, routing);
      },
    });
    this.#served++;
    return { accepted: true, report: recorder.report(result) };
  }

  /**
   * Leases the pool's connection for a request; on release the connection goes back to
   * reporting bus traffic as idle telegrams (at once, not when the next request comes).
   */
  #acquire(signal?: AbortSignal): Lease<BridgeConnection> | Promise<Lease<BridgeConnection>> {
    const leasing = this.#acquirePooled(signal);
    return leasing instanceof Promise
      ? leasing.then((lease) => this.#forRequest(lease))
      : this.#forRequest(leasing);
  }

  #forRequest(lease: Lease<BridgeConnection>): Lease<BridgeConnection> {
    const connection = lease.connection;
    for (const incoming of connection.takeIdleEvents()) this.#idle.report(incoming);
    this.#inFlight = connection;
    return {
      connection,
      key: lease.key,
      reused: lease.reused,
      createdAt: lease.createdAt,
      release: (options) => {
        if (this.#inFlight === connection) this.#inFlight = null;
        lease.release(options);
        this.#listenIdle(connection);
      },
    };
  }

  /** While no request runs on `connection`, what it receives is reported as idle telegrams. */
  #listenIdle(connection: BridgeConnection): void {
    if (!connection.alive) return;
    for (const incoming of connection.takeIdleEvents()) this.#idle.report(incoming);
    connection.listen(this.#idleReceiver);
  }

  #refuseWhileDisconnected(): void {
    const snapshot = this.#supervisor.snapshot();
    if (snapshot.state === "connected") return;
    const next = snapshot.nextRetryMs === null
      ? ""
      : `; next reconnect attempt in ${(snapshot.nextRetryMs / 1000).toFixed(1)} s`;
    throw new ConnectionError(
      "not_configured",
      `Conbus bridge ${this.#key} is ${snapshot.state}${
        snapshot.reason === null ? "" : ` (${snapshot.reason})`
      }${next}`,
      { recoverable: true },
    );
  }

  /**
   * Supervisor connect: lease the pool's one connection (the aliveness check replaces a dead
   * one), give it back, keep the key warm (min idle 1); the loss is what
   * {@link poolConnectionLoss} says it is.
   */
  async #connect(signal: AbortSignal) {
    const lease = await this.#acquire(signal);
    const connection = lease.connection;
    lease.release();
    await this.#pool.warm(this.#key);
    const closed = poolConnectionLoss(this.#pool, this.#key, connection, {
      clock: this.#clock,
      signal: this.#lifecycle.signal,
    });
    return { connection, closed };
  }
}
