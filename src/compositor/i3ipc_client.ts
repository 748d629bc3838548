import type { Socket } from "node:net";
import type { Clock } from "../resilience/clock.ts";
import { connectStream, type StreamConnector } from "../resilience/connect_stream.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { PendingReplies } from "../resilience/pending_replies.ts";
import {
  encodeMessage,
  type EventName,
  eventName,
  I3IpcDecoder,
  type I3IpcMessage,
  MessageType,
  parsePayload,
} from "./i3ipc_codec.ts";
import { EventQueue } from "./event_queue.ts";

/** Options for {@link I3IpcClient.connect}. */
export interface I3IpcClientOptions {
  /** Limit for connect and for each request's reply. Default 1000 ms. */
  timeoutMs?: number;
  /** Names the peer in error messages, e.g. `sway 812`. Default `i3-ipc <path>`. */
  context?: string;
  /**
   * Largest accepted payload. Default 32 MiB (see the codec). A message that declares more
   * closes the connection with a `protocol` error: i3-ipc framing has no delimiter to resume
   * at, so the rest of the stream cannot be trusted; a supervisor reconnects and re-reads the
   * tree.
   */
  maxPayloadBytes?: number;
  /**
   * Events kept for {@link I3IpcClient.events} while nobody consumes them (and no
   * {@link I3IpcClient.onEvent} listener is registered). Past this the connection is closed
   * with a `busy` error rather than silently dropping focus changes. Default 4096.
   */
  maxQueuedEvents?: number;
  /** Opens the socket. Default: `node:net`. */
  connector?: StreamConnector;
  /** The clock the connect and reply timeouts run on. @default systemClock */
  clock?: Clock;
  /**
   * Told about every event skipped because its payload is not JSON, with a `protocol` error
   * carrying a short excerpt (never the whole payload). The framing is intact, so the
   * connection keeps going. Default: nothing is told.
   */
  onSkipped?: (error: ConnectionError) => void;
}

/** An event received after SUBSCRIBE. */
export interface I3IpcEvent {
  /** The SUBSCRIBE name (`window`, `workspace`, ...), or null for a type this codec does not know. */
  name: EventName | null;
  /** The raw event type (high bit set). */
  type: number;
  /** The parsed JSON payload, e.g. `{change: "focus", container: {...}}`. */
  body: unknown;
}

const DEFAULT_TIMEOUT_MS = 1000;
/** Characters of a bad payload shown when it is skipped. */
const EXCERPT_CHARS = 80;

/**
 * A connection to sway or i3: request/reply plus events after SUBSCRIBE, on one socket.
 * Replies come back in request order (the protocol has no request ids); events are told apart
 * by the high bit of their type. A request that times out closes the connection, because its
 * late reply would otherwise be taken for the next request's. The socket is always closed
 * fully — a half-closed connection makes sway 1.7 spin at 100% CPU.
 *
 * @example
 * ```ts
 * const client = await I3IpcClient.connect(process.env.SWAYSOCK!, { context: "sway" });
 * const tree = await client.requestJson(MessageType.GET_TREE);
 * await client.subscribe(["window", "workspace"]);
 * for await (const event of client.events()) console.log(event.name, event.body);
 * ```
 */
export class I3IpcClient {
  /** The socket path. */
  readonly path: string;
  /** Resolves once the connection has ended: null after {@link close}, else why it ended. */
  readonly closed: Promise<ConnectionError | null>;

  readonly #socket: Socket;
  readonly #context: string;
  readonly #timeoutMs: number;
  readonly #decoder: I3IpcDecoder;
  /** Open requests, each noted with its message type (the reply must have the same). */
  readonly #pending: PendingReplies<I3IpcMessage, number>;
  readonly #events: EventQueue<I3IpcEvent>;
  readonly #onSkipped: (error: ConnectionError) => void;

  private constructor(path: string, socket: Socket, options: I3IpcClientOptions) {
    this.path = path;
    this.#socket = socket;
    this.#context = options.context ?? `i3-ipc ${path}`;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#decoder = new I3IpcDecoder({ maxPayloadBytes: options.maxPayloadBytes });
    this.#events = new EventQueue({ context: this.#context, maxQueued: options.maxQueuedEvents });
    this.#onSkipped = options.onSkipped ?? (() => {});
    this.#pending = new PendingReplies({
      clock: options.clock,
      onTimeout: (error) => this.#finish(error),
    });
    this.closed = this.#events.closed;
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("error", (error) => this.#finish(toConnectionError(error, this.#context)));
    socket.on(
      "close",
      () =>
        this.#finish(new ConnectionError("closed", `${this.#context}: connection closed by peer`)),
    );
  }

  /** Connects to the socket at `path`; fails with a categorised {@link ConnectionError}. */
  static async connect(path: string, options: I3IpcClientOptions = {}): Promise<I3IpcClient> {
    const socket = await connectStream({ path }, {
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      context: options.context ?? `i3-ipc ${path}`,
      connector: options.connector,
      clock: options.clock,
    });
    return new I3IpcClient(path, socket, options);
  }

  /** Whether the connection has ended. */
  get isClosed(): boolean {
    return this.#events.isClosed;
  }

  /**
   * Sends one message and resolves with its reply. Rejects with `timeout` (and closes the
   * connection) when no reply arrives within the timeout, or with the connection's error.
   */
  request(type: number, payload: string = ""): Promise<I3IpcMessage> {
    if (this.#events.isClosed) {
      return Promise.reject(
        this.#events.closeReason ??
          new ConnectionError("closed", `${this.#context}: connection already closed`),
      );
    }
    const reply = this.#pending.expect(type, this.#timeoutMs, () =>
      new ConnectionError(
        "timeout",
        `${this.#context}: no reply to message type ${type} within ${this.#timeoutMs} ms (peer hung?)`,
      ));
    this.#socket.write(encodeMessage(type, payload));
    return reply;
  }

  /** {@link request} and parse the reply as JSON (malformed JSON is a `protocol` error). */
  async requestJson<T = unknown>(type: number, payload: string = ""): Promise<T> {
    return parsePayload<T>(await this.request(type, payload));
  }

  /**
   * Subscribes to events (`["window","workspace"]`). Rejects with `protocol` if the peer
   * answers `success: false`. Note: neither sway nor i3 sends initial state — use GET_TREE.
   */
  async subscribe(names: readonly EventName[]): Promise<void> {
    const reply = await this.requestJson<{ success?: unknown }>(
      MessageType.SUBSCRIBE,
      JSON.stringify(names),
    );
    if (reply?.success !== true) {
      throw new ConnectionError(
        "protocol",
        `${this.#context}: subscribe to ${names.join(", ")} was refused`,
      );
    }
  }

  /**
   * Calls `listener` for every event, synchronously as it is decoded. While at least one
   * listener is registered, events are not queued for {@link events}. Returns an unsubscribe
   * function.
   */
  onEvent(listener: (event: I3IpcEvent) => void): () => void {
    return this.#events.onEvent(listener);
  }

  /**
   * Events as an async iterator (one consumer). It ends normally after {@link close} and
   * throws the connection's error when the peer goes away (EOF is a `closed` error) or breaks
   * the framing — a focus source treats either as "reconnect". An event whose payload is not
   * JSON is skipped (see `onSkipped`), not an error.
   */
  events(): AsyncGenerator<I3IpcEvent, void, undefined> {
    return this.#events.events();
  }

  /** Closes the socket fully (never a half-close); pending requests reject with `closed`. */
  close(): void {
    this.#finish(null);
  }

  #onData(chunk: Uint8Array): void {
    let messages: I3IpcMessage[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (error) {
      this.#finish(toConnectionError(error, this.#context));
      return;
    }
    for (const message of messages) {
      if (this.#events.isClosed) return;
      if (message.isEvent) this.#deliverEvent(message);
      else this.#deliverReply(message);
    }
  }

  #deliverReply(message: I3IpcMessage): void {
    const pending = this.#pending.next();
    if (pending === undefined) {
      this.#finish(
        new ConnectionError(
          "protocol",
          `${this.#context}: reply of type ${message.type} without a request`,
        ),
      );
      return;
    }
    if (pending.request !== message.type) {
      const error = new ConnectionError(
        "protocol",
        `${this.#context}: reply type ${message.type} does not match request type ${pending.request}`,
      );
      pending.reject(error);
      this.#finish(error);
      return;
    }
    pending.resolve(message);
  }

  #deliverEvent(message: I3IpcMessage): void {
    let body: unknown;
    try {
      body = parsePayload(message);
    } catch (error) {
      const shown = JSON.stringify(message.payload.slice(0, EXCERPT_CHARS)) +
        (message.payload.length > EXCERPT_CHARS ? "…" : "");
      this.#onSkipped(
        new ConnectionError(
          "protocol",
          `${this.#context}: skipped an event: ${(error as Error).message}: ${shown}`,
        ),
      );
      return;
    }
    const overflow = this.#events.push({ name: eventName(message.type), type: message.type, body });
    if (overflow !== null) this.#finish(overflow);
  }

  #finish(reason: ConnectionError | null): void {
    if (!this.#events.close(reason)) return;
    this.#socket.destroy();
    this.#pending.close(
      reason ?? new ConnectionError("closed", `${this.#context}: connection closed`),
    );
  }
}

/**
 * One request on a fresh connection, then close: what a health probe needs.
 *
 * @example
 * ```ts
 * const reply = await i3ipcRequestOnce(path, MessageType.GET_VERSION, "", { timeoutMs: 500 });
 * ```
 */
export async function i3ipcRequestOnce(
  path: string,
  type: number,
  payload: string = "",
  options: I3IpcClientOptions = {},
): Promise<I3IpcMessage> {
  const client = await I3IpcClient.connect(path, options);
  try {
    return await client.request(type, payload);
  } finally {
    client.close();
  }
}
