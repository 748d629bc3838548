import type { Socket } from "node:net";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import {
  encodeNiriRequest,
  LineSplitter,
  type NiriEvent,
  type NiriReply,
  type NiriRequest,
  parseNiriEvent,
  parseNiriReply,
  versionFromReply,
} from "./niri_codec.ts";
import { connectUnix, type UnixConnector } from "../resilience/unix_connect.ts";

/** Options for niri requests and event streams. */
export interface NiriClientOptions {
  /** Limit for connect and for the (first) reply. Default 1000 ms. */
  timeoutMs?: number;
  /** Names the peer in error messages. Default `niri <path>`. */
  context?: string;
  /** Longest accepted line. Default 4 MiB. */
  maxLineBytes?: number;
  /**
   * Stream only: events kept while nobody consumes them (and no listener is registered);
   * past this the stream closes with `busy` (niri itself drops clients that read too slowly).
   * Default 4096.
   */
  maxQueuedEvents?: number;
  /** Opens the socket. Default: `node:net`. */
  connector?: UnixConnector;
}

const DEFAULT_TIMEOUT_MS = 1000;
const DEFAULT_MAX_QUEUED_EVENTS = 4096;

/**
 * Sends one request on a fresh connection, reads its one reply line, and closes the socket
 * fully. Resolves with the decoded reply (`{ok:false}` for niri's `{"Err":…}`); connection
 * problems, a timeout and malformed replies reject with a {@link ConnectionError}.
 *
 * @example
 * ```ts
 * const reply = await niriRequest(process.env.NIRI_SOCKET!, "FocusedWindow");
 * ```
 */
export async function niriRequest(
  path: string,
  request: NiriRequest,
  options: NiriClientOptions = {},
): Promise<NiriReply> {
  const context = options.context ?? `niri ${path}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = await connectUnix(path, { timeoutMs, context, connector: options.connector });
  try {
    socket.write(encodeNiriRequest(request));
    const line = await readOneLine(socket, context, timeoutMs, options.maxLineBytes);
    return parseNiriReply(line);
  } finally {
    socket.destroy();
  }
}

/**
 * Asks niri for its version (`"Version"`), e.g. `25.11 (b35bcae)`. An `{"Err":…}` reply is a
 * `protocol` error.
 */
export async function niriVersion(path: string, options: NiriClientOptions = {}): Promise<string> {
  const reply = await niriRequest(path, "Version", options);
  if (!reply.ok) {
    throw new ConnectionError("protocol", `niri ${path}: Version failed: ${reply.error}`);
  }
  return versionFromReply(reply.value);
}

/**
 * An open niri event stream. Events arrive one per line, starting with niri's full current
 * state (`WorkspacesChanged`, `WindowsChanged`, ...). Consume them with {@link events} or
 * {@link onEvent}; niri disconnects clients that read too slowly, so keep reading.
 */
export class NiriEventStream {
  /** Resolves once the stream has ended: null after {@link close}, else why it ended. */
  readonly closed: Promise<ConnectionError | null>;

  readonly #socket: Socket;
  readonly #context: string;
  readonly #splitter: LineSplitter;
  readonly #maxQueuedEvents: number;
  readonly #listeners = new Set<(event: NiriEvent) => void>();
  readonly #queue: NiriEvent[] = [];
  #wakeConsumer: (() => void) | null = null;
  #closeReason: ConnectionError | null | undefined = undefined;
  #resolveClosed!: (reason: ConnectionError | null) => void;

  /** @internal Use {@link openNiriEventStream}. */
  constructor(socket: Socket, context: string, splitter: LineSplitter, options: NiriClientOptions) {
    this.#socket = socket;
    this.#context = context;
    this.#splitter = splitter;
    this.#maxQueuedEvents = options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("error", (error) => this.#finish(toConnectionError(error, context)));
    socket.on(
      "close",
      () => this.#finish(new ConnectionError("closed", `${context}: event stream closed by niri`)),
    );
    socket.resume(); // paused by readFirstLine so no event is lost in the hand-over
  }

  /** Whether the stream has ended. */
  get isClosed(): boolean {
    return this.#closeReason !== undefined;
  }

  /**
   * Calls `listener` for every event as it is decoded; while a listener is registered events
   * are not queued for {@link events}. Returns an unsubscribe function.
   */
  onEvent(listener: (event: NiriEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Events as an async iterator (one consumer). Ends normally after {@link close}; throws the
   * stream's error when niri goes away (`closed`) or sends garbage (`protocol`).
   */
  async *events(): AsyncGenerator<NiriEvent, void, undefined> {
    while (true) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#closeReason !== undefined) {
        if (this.#closeReason === null) return;
        throw this.#closeReason;
      }
      await new Promise<void>((resolve) => (this.#wakeConsumer = resolve));
    }
  }

  /** Closes the socket fully. */
  close(): void {
    this.#finish(null);
  }

  /** @internal Feeds lines that arrived together with the `{"Ok":"Handled"}` reply. */
  deliverLines(lines: readonly string[]): void {
    for (const line of lines) {
      if (this.#closeReason !== undefined) return;
      let event: NiriEvent;
      try {
        event = parseNiriEvent(line);
      } catch (error) {
        this.#finish(toConnectionError(error, this.#context));
        return;
      }
      this.#deliver(event);
    }
  }

  #onData(chunk: Uint8Array): void {
    let lines: string[];
    try {
      lines = this.#splitter.push(chunk);
    } catch (error) {
      this.#finish(toConnectionError(error, this.#context));
      return;
    }
    this.deliverLines(lines);
  }

  #deliver(event: NiriEvent): void {
    if (this.#listeners.size > 0) {
      for (const listener of [...this.#listeners]) listener(event);
      return;
    }
    if (this.#queue.length >= this.#maxQueuedEvents) {
      this.#finish(
        new ConnectionError(
          "busy",
          `${this.#context}: more than ${this.#maxQueuedEvents} events queued and not consumed`,
        ),
      );
      return;
    }
    this.#queue.push(event);
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = null;
    wake?.();
  }

  #finish(reason: ConnectionError | null): void {
    if (this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    this.#socket.destroy();
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = null;
    wake?.();
    this.#resolveClosed(reason);
  }
}

/**
 * Connects, sends `"EventStream"`, waits (with the timeout) for `{"Ok":"Handled"}`, and
 * returns the stream. Open a second connection for requests: niri stops reading a connection
 * once it streams.
 *
 * @example
 * ```ts
 * const stream = await openNiriEventStream(process.env.NIRI_SOCKET!);
 * for await (const event of stream.events()) if (event.type === "WindowFocusChanged") console.log(event.id);
 * ```
 */
export async function openNiriEventStream(
  path: string,
  options: NiriClientOptions = {},
): Promise<NiriEventStream> {
  const context = options.context ?? `niri ${path}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = await connectUnix(path, { timeoutMs, context, connector: options.connector });
  const splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
  try {
    socket.write(encodeNiriRequest("EventStream"));
    const { line, rest } = await readFirstLine(socket, splitter, context, timeoutMs);
    const reply = parseNiriReply(line);
    if (!reply.ok) {
      throw new ConnectionError("protocol", `${context}: EventStream refused: ${reply.error}`);
    }
    const stream = new NiriEventStream(socket, context, splitter, options);
    stream.deliverLines(rest);
    return stream;
  } catch (error) {
    socket.destroy();
    throw toConnectionError(error, context);
  }
}

async function readOneLine(
  socket: Socket,
  context: string,
  timeoutMs: number,
  maxLineBytes: number | undefined,
): Promise<string> {
  const splitter = new LineSplitter({ maxLineBytes });
  return (await readFirstLine(socket, splitter, context, timeoutMs)).line;
}

/**
 * Reads until the first complete line; returns it and any further complete lines that came
 * in the same chunk. Listeners are removed afterwards so a stream can take over the socket.
 */
function readFirstLine(
  socket: Socket,
  splitter: LineSplitter,
  context: string,
  timeoutMs: number,
): Promise<{ line: string; rest: string[] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      done();
      reject(
        new ConnectionError("timeout", `${context}: no reply within ${timeoutMs} ms (niri hung?)`),
      );
    }, timeoutMs);
    const onData = (chunk: Uint8Array) => {
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch (error) {
        done();
        reject(error);
        return;
      }
      if (lines.length === 0) return;
      done();
      socket.pause();
      resolve({ line: lines[0]!, rest: lines.slice(1) });
    };
    const onError = (error: Error) => {
      done();
      reject(toConnectionError(error, context));
    };
    const onClose = () => {
      done();
      reject(new ConnectionError("closed", `${context}: connection closed before a reply`));
    };
    const done = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  });
}
