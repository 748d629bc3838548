import type { Socket } from "node:net";
import type { Clock } from "../resilience/clock.ts";
import { connectStream, type StreamConnector } from "../resilience/connect_stream.ts";
import { deadline } from "../resilience/deadline.ts";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { EventQueue } from "./event_queue.ts";
import {
  encodeNiriRequest,
  LineSplitter,
  type NiriEvent,
  type NiriReply,
  type NiriRequest,
  parseNiriEvent,
  parseNiriReply,
  type SplitItem,
  versionFromReply,
} from "./niri_codec.ts";

/** Options for niri requests and event streams. */
export interface NiriClientOptions {
  /** Limit for connect and for the (first) reply. Default 1000 ms. */
  timeoutMs?: number;
  /** Names the peer in error messages. Default `niri <path>`. */
  context?: string;
  /**
   * Longest accepted line. Default 4 MiB. A longer reply line is a `protocol` error; a longer
   * event line is skipped (see {@link onSkipped}), its bytes discarded up to the newline.
   */
  maxLineBytes?: number;
  /**
   * Stream only: told about every event line that was skipped — not JSON, not a usable event,
   * not UTF-8, or longer than `maxLineBytes` — with a `protocol` error that carries a short
   * excerpt (never the whole line). The stream keeps going. Default: nothing is told.
   */
  onSkipped?: (error: ConnectionError) => void;
  /**
   * Stream only: events kept while nobody consumes them (and no listener is registered);
   * past this the stream closes with `busy` (niri itself drops clients that read too slowly).
   * Default 4096.
   */
  maxQueuedEvents?: number;
  /** Opens the socket. Default: `node:net`. */
  connector?: StreamConnector;
  /** The clock the connect and reply timeouts run on. @default systemClock */
  clock?: Clock;
}

const DEFAULT_TIMEOUT_MS = 1000;

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
  const { socket, line } = await sendRequest(path, request, options);
  socket.destroy();
  return parseNiriReply(line);
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
 * {@link onEvent}; niri disconnects clients that read too slowly, so keep reading. A bad line
 * (malformed, unusable or oversized) is reported through `onSkipped` and skipped: the stream
 * goes on with the next line.
 */
export class NiriEventStream {
  /** Resolves once the stream has ended: null after {@link close}, else why it ended. */
  readonly closed: Promise<ConnectionError | null>;

  readonly #socket: Socket;
  readonly #context: string;
  readonly #splitter: LineSplitter;
  readonly #events: EventQueue<NiriEvent>;
  readonly #onSkipped: (error: ConnectionError) => void;

  /** @internal Use {@link openNiriEventStream}. */
  constructor(socket: Socket, context: string, splitter: LineSplitter, options: NiriClientOptions) {
    this.#socket = socket;
    this.#context = context;
    this.#splitter = splitter;
    this.#onSkipped = options.onSkipped ?? (() => {});
    this.#events = new EventQueue({ context, maxQueued: options.maxQueuedEvents });
    this.closed = this.#events.closed;
    socket.on("data", (chunk: Uint8Array) => this.deliver(this.#splitter.split(chunk)));
    socket.on("error", (error) => this.#finish(toConnectionError(error, context)));
    socket.on(
      "close",
      () => this.#finish(new ConnectionError("closed", `${context}: event stream closed by niri`)),
    );
    socket.resume(); // paused by readFirstLine so no event is lost in the hand-over
  }

  /** Whether the stream has ended. */
  get isClosed(): boolean {
    return this.#events.isClosed;
  }

  /** Bytes of an incomplete line held; bounded by `maxLineBytes` even inside a huge line. */
  get bufferedBytes(): number {
    return this.#splitter.bufferedBytes;
  }

  /**
   * Calls `listener` for every event as it is decoded; while a listener is registered events
   * are not queued for {@link events}. Returns an unsubscribe function.
   */
  onEvent(listener: (event: NiriEvent) => void): () => void {
    return this.#events.onEvent(listener);
  }

  /**
   * Events as an async iterator (one consumer). Ends normally after {@link close}; throws the
   * stream's error when niri goes away (`closed`) or events pile up unread (`busy`).
   */
  events(): AsyncGenerator<NiriEvent, void, undefined> {
    return this.#events.events();
  }

  /** Closes the socket fully. */
  close(): void {
    this.#finish(null);
  }

  /** @internal Decodes split lines (also those that arrived with `{"Ok":"Handled"}`). */
  deliver(items: readonly SplitItem[]): void {
    for (const item of items) {
      if (this.#events.isClosed) return;
      let event: NiriEvent;
      try {
        if (item instanceof ConnectionError) throw item;
        event = parseNiriEvent(item);
      } catch (error) {
        const reason = toConnectionError(error, this.#context);
        this.#onSkipped(
          new ConnectionError(
            "protocol",
            `${this.#context}: skipped an event line: ${reason.message}`,
          ),
        );
        continue;
      }
      const overflow = this.#events.push(event);
      if (overflow !== null) this.#finish(overflow);
    }
  }

  #finish(reason: ConnectionError | null): void {
    if (this.#events.close(reason)) this.#socket.destroy();
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
  const { socket, splitter, context, line, rest } = await sendRequest(path, "EventStream", options);
  try {
    const reply = parseNiriReply(line);
    if (!reply.ok) {
      throw new ConnectionError("protocol", `${context}: EventStream refused: ${reply.error}`);
    }
    const stream = new NiriEventStream(socket, context, splitter, options);
    stream.deliver(rest);
    return stream;
  } catch (error) {
    socket.destroy();
    throw toConnectionError(error, context);
  }
}

/** What {@link sendRequest} read: the reply line, and the paused socket for a stream to take. */
interface SentRequest {
  socket: Socket;
  splitter: LineSplitter;
  context: string;
  line: string;
  rest: SplitItem[];
}

/** Connects, writes one request and reads the reply line; on failure the socket is destroyed. */
async function sendRequest(
  path: string,
  request: NiriRequest,
  options: NiriClientOptions,
): Promise<SentRequest> {
  const context = options.context ?? `niri ${path}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { connector, clock } = options;
  const socket = await connectStream({ path }, { timeoutMs, context, connector, clock });
  const splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
  try {
    socket.write(encodeNiriRequest(request));
    const { line, rest } = await deadline(
      (signal) => readFirstLine(socket, splitter, context, signal),
      timeoutMs,
      { clock, timeoutMessage: `${context}: no reply within ${timeoutMs} ms (niri hung?)` },
    );
    return { socket, splitter, context, line, rest };
  } catch (error) {
    socket.destroy();
    throw toConnectionError(error, context);
  }
}

/**
 * Reads until the first complete line; returns it and any further lines (or skipped-line
 * errors) that came in the same chunk. Listeners are removed afterwards (also when `signal`
 * aborts) so a stream can take over the socket. A bad first line rejects: it is the reply.
 */
function readFirstLine(
  socket: Socket,
  splitter: LineSplitter,
  context: string,
  signal: AbortSignal,
): Promise<{ line: string; rest: SplitItem[] }> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Uint8Array) => {
      const items = splitter.split(chunk);
      if (items.length === 0) return;
      done();
      const first = items[0]!;
      if (first instanceof ConnectionError) {
        reject(new ConnectionError("protocol", `${context}: bad reply: ${first.message}`));
        return;
      }
      socket.pause();
      resolve({ line: first, rest: items.slice(1) });
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
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      signal.removeEventListener("abort", done);
    };
    signal.addEventListener("abort", done, { once: true });
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
  });
}
