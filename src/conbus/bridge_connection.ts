import type { Socket } from "node:net";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { connectStream } from "../resilience/connect_stream.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { FrameSplitter } from "./frame_splitter.ts";
import { latin1Decode } from "./latin1.ts";
import type { Telegram } from "./telegram.ts";
import { decodeFrame } from "./telegram_codec.ts";
import { TelegramError } from "./telegram_error.ts";

/** Where a Conbus bridge listens. */
export interface BridgeEndpoint {
  /** Host name or address. */
  host: string;
  /** TCP port (the bridge's default is 10001). */
  port: number;
}

/** `host:port`, for messages and pool keys. */
export function endpointLabel(endpoint: BridgeEndpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/** Something received from the bridge: a valid telegram, or a frame that failed to decode. */
export type Incoming =
  | { kind: "telegram"; telegram: Telegram; atMs: number }
  | { kind: "invalid"; frame: string; error: string; atMs: number };

/**
 * Gets what a {@link BridgeConnection} receives while it is the connection's receiver (one at a
 * time: a request in flight, or `serve` while idle). An object rather than callbacks, so a
 * pooled read subscribes with no closure and no set operation per request.
 */
export interface Receiver {
  /** A telegram or a bad frame arrived. */
  receive(incoming: Incoming): void;
  /** The connection died while this was the receiver (or had before it became one). */
  closed?(error: ConnectionError): void;
}

/** Telegrams handled from one read before the bridge socket yields to other I/O for a turn. */
const FRAMES_PER_TURN = 256;

/** Default number of telegrams kept from idle periods (older ones are dropped and counted). */
const DEFAULT_MAX_IDLE_EVENTS = 256;

/**
 * One TCP connection to a bridge. A background reader splits frames as bytes arrive, so the
 * connection always knows whether the peer closed (`alive`) — Web/node sockets have no
 * MSG_PEEK — and telegrams that arrive while nobody listens (bus events while idle) land in a
 * bounded idle buffer instead of being read as the next request's reply.
 */
export interface BridgeConnection {
  /** The bridge. */
  readonly endpoint: BridgeEndpoint;
  /** When the connection was established (clock ms). */
  readonly createdAtMs: number;
  /** False once the peer closed or an error occurred. */
  readonly alive: boolean;
  /** Telegrams dropped from the idle buffer because it was full. */
  readonly droppedIdleEvents: number;
  /**
   * Writes bytes and returns the clock time of the write. Throws
   * a `closed` {@link ConnectionError} without writing anything when the connection is already
   * dead (so the caller knows no byte left).
   */
  write(bytes: Uint8Array): number;
  /**
   * Makes `receiver` the one that gets what arrives, replacing the previous one, until
   * {@link BridgeConnection.unlisten}. Its `closed` is called once if the connection dies
   * meanwhile — at once if it already has.
   */
  listen(receiver: Receiver): void;
  /** Stops handing what arrives to `receiver` (if it is the current one); it then goes idle. */
  unlisten(receiver: Receiver): void;
  /** Calls `listener` once when the connection dies (at once if it already has). */
  onClose(listener: (error: ConnectionError) => void): () => void;
  /** Takes (and clears) what arrived while nobody listened. */
  takeIdleEvents(): readonly Incoming[];
  /** Closes the connection. */
  close(): void;
}

/** Options for {@link connectBridge}. */
export interface ConnectOptions {
  /** Give up connecting after this long. @default 2000 */
  timeoutMs?: number;
  /** Aborts the connect: it fails with a `timeout` error ("gave up connecting"). */
  signal?: AbortSignal;
  /** Clock for timestamps and the connect timeout. Default {@link systemClock}. */
  clock?: Clock;
  /** Idle buffer bound. Default {@link DEFAULT_MAX_IDLE_EVENTS}. */
  maxIdleEvents?: number;
}

/**
 * Opens a TCP connection to a bridge. Failures are {@link ConnectionError}s: `refused`
 * (nothing listens, or the bridge's single client slot is taken), `timeout`, `closed`, and
 * `not_configured` for a host name that does not resolve (not retried).
 *
 * @example
 * ```ts
 * const connection = await connectBridge({ host: "192.168.1.100", port: 10001 });
 * ```
 */
export async function connectBridge(
  endpoint: BridgeEndpoint,
  options: ConnectOptions = {},
): Promise<BridgeConnection> {
  const clock = options.clock ?? systemClock;
  const label = `Conbus bridge ${endpointLabel(endpoint)}`;
  let socket: Socket;
  try {
    socket = await connectStream({ host: endpoint.host, port: endpoint.port }, {
      timeoutMs: options.timeoutMs ?? 2000,
      signal: options.signal,
      clock,
      context: label,
    });
  } catch (error) {
    if ((error as { cause?: { code?: unknown } }).cause?.code === "ENOTFOUND") {
      throw new ConnectionError(
        "not_configured",
        `${label}: host "${endpoint.host}" not found — check --host, TETHER_CONBUS_HOST or the config file`,
        { cause: (error as { cause: unknown }).cause, recoverable: false },
      );
    }
    throw error;
  }
  socket.setNoDelay(true);
  return new TcpBridgeConnection(socket, endpoint, clock, options.maxIdleEvents);
}

const NOTHING_IDLE: readonly Incoming[] = Object.freeze([]);

class TcpBridgeConnection implements BridgeConnection {
  readonly endpoint: BridgeEndpoint;
  readonly createdAtMs: number;
  droppedIdleEvents = 0;
  readonly #socket: Socket;
  readonly #clock: Clock;
  readonly #splitter = new FrameSplitter();
  readonly #maxIdleEvents: number;
  #idle: Incoming[] = [];
  #receiver: Receiver | null = null;
  #closeError: ConnectionError | null = null;
  readonly #closeListeners = new Set<(error: ConnectionError) => void>();

  constructor(socket: Socket, endpoint: BridgeEndpoint, clock: Clock, maxIdleEvents?: number) {
    this.#socket = socket;
    this.endpoint = endpoint;
    this.#clock = clock;
    this.createdAtMs = clock.now();
    this.#maxIdleEvents = maxIdleEvents ?? DEFAULT_MAX_IDLE_EVENTS;
    const label = `Conbus bridge ${endpointLabel(endpoint)}`;
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("error", (error) => this.#die(toConnectionError(error, label)));
    socket.on(
      "end",
      () => this.#die(new ConnectionError("closed", `${label} closed the connection`)),
    );
    socket.on(
      "close",
      () => this.#die(new ConnectionError("closed", `${label}: connection closed`)),
    );
  }

  get alive(): boolean {
    return this.#closeError === null;
  }

  write(bytes: Uint8Array): number {
    if (this.#closeError !== null) throw this.#closeError;
    const atMs = this.#clock.now();
    this.#socket.write(bytes);
    return atMs;
  }

  listen(receiver: Receiver): void {
    if (this.#closeError !== null) {
      receiver.closed?.(this.#closeError);
      return;
    }
    this.#receiver = receiver;
  }

  unlisten(receiver: Receiver): void {
    if (this.#receiver === receiver) this.#receiver = null;
  }

  onClose(listener: (error: ConnectionError) => void): () => void {
    if (this.#closeError !== null) {
      listener(this.#closeError);
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  takeIdleEvents(): readonly Incoming[] {
    // Nothing arrived while idle (the usual case): no new array per request.
    if (this.#idle.length === 0) return NOTHING_IDLE;
    const idle = this.#idle;
    this.#idle = [];
    return idle;
  }

  close(): void {
    this.#die(new ConnectionError("closed", "connection closed by tether", { recoverable: false }));
    this.#socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    let frames = 0;
    for (const frame of this.#splitter.push(chunk)) {
      frames++;
      const atMs = this.#clock.now();
      let incoming: Incoming;
      try {
        incoming = { kind: "telegram", telegram: decodeFrame(frame), atMs };
      } catch (error) {
        const message = error instanceof TelegramError ? error.message : String(error);
        incoming = { kind: "invalid", frame: latin1Decode(frame), error: message, atMs };
      }
      if (this.#receiver !== null) {
        this.#receiver.receive(incoming);
      } else {
        this.#idle.push(incoming);
        if (this.#idle.length > this.#maxIdleEvents) {
          this.#idle.shift();
          this.droppedIdleEvents++;
        }
      }
    }

    // A flooding bridge: after a big batch, stop reading for a timer tick so everything else
    // (the control socket's `status`) is served; otherwise reads follow each other and the
    // daemon stops answering (measured: `status` went unanswered for 3 s; with this, ~50 ms).
    // A timer, not setImmediate: resuming in the same loop turn did not let the rest in.
    if (frames >= FRAMES_PER_TURN && this.alive) {
      this.#socket.pause();
      this.#clock.setTimeout(() => {
        if (this.alive) this.#socket.resume();
      }, 1);
    }
  }

  #die(error: ConnectionError): void {
    if (this.#closeError !== null) return;
    this.#closeError = error;
    this.#socket.destroy();
    const receiver = this.#receiver;
    this.#receiver = null;
    receiver?.closed?.(error);
    for (const listener of this.#closeListeners) listener(error);
    this.#closeListeners.clear();
  }
}
