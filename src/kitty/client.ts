import type { Duplex } from "node:stream";
import { ConnectionError, toConnectionError } from "../resilience/errors.ts";
import { connectUnix, type UnixConnector } from "../resilience/unix_connect.ts";
import { waitAtMost } from "../resilience/wait_at_most.ts";
import { encodeCommand, type KittyResponse, parseResponse, ResponseSplitter } from "./codec.ts";

/**
 * Opens a (not yet connected) socket to a unix socket path; tests inject sockets that never
 * connect. The shared {@link UnixConnector} of resilience/unix_connect.
 */
export type KittyConnector = UnixConnector;

/** Options for {@link KittyConnection.open}. */
export interface KittyConnectionOptions {
  /** Longest wait for the connection to be accepted, in milliseconds (default 2000). */
  connectTimeoutMs?: number;
  /** Starts error messages, e.g. `kitty 4121` (default `kitty at <socket path>`). */
  label?: string;
  /** How to connect (default: node:net over the unix socket). */
  connector?: KittyConnector;
}

/** Options for one {@link KittyConnection.request}. */
export interface KittyRequestOptions {
  /** Longest wait for the reply, in milliseconds (default 2000). */
  timeoutMs?: number;
  /**
   * What a missing reply means. `timeout` (default): a hung or slow kitty, worth retrying.
   * `auth`: kitty is holding the request behind its Allow/Deny prompt (an unknown password), a
   * non-recoverable `auth` error that must not be retried.
   */
  silenceMeans?: "timeout" | "auth";
}

/** The default connection and request timeout, in milliseconds (`--socket-timeout` 2 s). */
export const DEFAULT_KITTY_TIMEOUT_MS = 2000;

interface Pending {
  resolve(response: KittyResponse): void;
  reject(error: ConnectionError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One connection to a kitty remote-control socket. Requests may be issued back to back; kitty
 * answers them in order, and each reply settles the oldest open request. Responses carry no
 * request id, so after any timeout the connection is destroyed: a late reply would otherwise
 * be taken for the answer to a later request.
 *
 * @example
 * ```ts
 * const connection = await KittyConnection.open("/run/user/1000/kitty/kitty-4121.sock");
 * try {
 *   const reply = await connection.request(fontSizeChangeCommand(3));
 * } finally {
 *   await connection.close();
 * }
 * ```
 */
export class KittyConnection {
  readonly #stream: Duplex;
  readonly #label: string;
  readonly #splitter = new ResponseSplitter();
  readonly #pending: Pending[] = [];
  readonly #closed: Promise<void>;
  #failure: ConnectionError | null = null;
  #requestCount = 0;

  private constructor(stream: Duplex, label: string) {
    this.#stream = stream;
    this.#label = label;
    this.#closed = new Promise((resolve) => stream.once("close", () => resolve()));
    stream.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    stream.on("error", (error) => this.#fail(toConnectionError(error, this.#label)));
    stream.on(
      "end",
      () =>
        this.#fail(new ConnectionError("closed", `${this.#label}: kitty closed the connection`)),
    );
    stream.on(
      "close",
      () => this.#fail(new ConnectionError("closed", `${this.#label}: connection closed`)),
    );
  }

  /**
   * Connects to kitty's socket. A missing socket file is `not_configured`, a file without a
   * listener `refused`, no accept within `connectTimeoutMs` `timeout`.
   */
  static async open(
    socketPath: string,
    options: KittyConnectionOptions = {},
  ): Promise<KittyConnection> {
    const label = options.label ?? `kitty at ${socketPath}`;
    try {
      const socket = await connectUnix(socketPath, {
        timeoutMs: options.connectTimeoutMs ?? DEFAULT_KITTY_TIMEOUT_MS,
        context: label,
        connector: options.connector,
      });
      return new KittyConnection(socket, label);
    } catch (error) {
      const failure = toConnectionError(error, label);
      if (failure.category === "not_configured") {
        throw new ConnectionError(
          "not_configured",
          `${label}: no socket at ${socketPath}; kitty needs listen_on (run \`tether kitty setup\`)`,
          { cause: error },
        );
      }
      throw failure;
    }
  }

  /** Whether requests can still be sent (no error, timeout or close so far). */
  get usable(): boolean {
    return this.#failure === null;
  }

  /** How many requests were sent on this connection. */
  get requestCount(): number {
    return this.#requestCount;
  }

  /**
   * Sends one command (any object with `cmd` and `version`, or an encrypted envelope) and
   * resolves with kitty's reply; `{ok: false}` replies resolve too, the caller decides.
   */
  request(message: object, options: KittyRequestOptions = {}): Promise<KittyResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    const frame = encodeCommand(message);
    const timeoutMs = options.timeoutMs ?? DEFAULT_KITTY_TIMEOUT_MS;
    const silenceMeans = options.silenceMeans ?? "timeout";
    this.#requestCount++;
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const error = silenceMeans === "auth"
            ? new ConnectionError(
              "auth",
              `${this.#label}: no reply to an authenticated request in ${timeoutMs} ms; kitty is ` +
                "probably asking the user to allow an unknown password (check rc.password and " +
                "remote_control_password in kitty.conf)",
            )
            : new ConnectionError("timeout", `${this.#label}: no reply within ${timeoutMs} ms`);
          this.#fail(error);
        }, timeoutMs),
      };
      this.#pending.push(entry);
      this.#stream.write(frame);
    });
  }

  /**
   * Closes fully: half-closes (kitty then flushes its replies and closes its side, which on kitty
   * < 0.42.2 is what frees its I/O thread for other clients), waits for the close up to
   * `timeoutMs`, then destroys. Open requests fail with `closed`.
   */
  async close(timeoutMs = DEFAULT_KITTY_TIMEOUT_MS): Promise<void> {
    if (this.#stream.destroyed) return;
    this.#stream.end();
    await waitAtMost(this.#closed, timeoutMs);
    this.#fail(new ConnectionError("closed", `${this.#label}: connection closed by tether`));
  }

  #onData(chunk: Uint8Array): void {
    let bodies: string[];
    try {
      bodies = this.#splitter.push(chunk);
    } catch (error) {
      this.#fail(toConnectionError(error, this.#label));
      return;
    }
    for (const body of bodies) {
      const entry = this.#pending.shift();
      if (!entry) continue; // a reply nobody waits for (e.g. after no_response): ignore
      clearTimeout(entry.timer);
      try {
        entry.resolve(parseResponse(body));
      } catch (error) {
        entry.reject(toConnectionError(error, this.#label));
      }
    }
  }

  #fail(error: ConnectionError): void {
    this.#failure ??= error;
    for (const entry of this.#pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    if (!this.#stream.destroyed) this.#stream.destroy();
  }
}
