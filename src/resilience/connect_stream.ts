import { createConnection, type Socket } from "node:net";
import type { Clock } from "./clock.ts";
import { deadline } from "./deadline.ts";
import { categoryForErrno, ConnectionError } from "./errors.ts";

/** Where a stream connects: a unix socket path, or a TCP host and port. */
export type StreamEndpoint = { path: string } | { host: string; port: number };

/** Opens a (not yet connected) socket to an endpoint; tests may pass one that never connects. */
export type StreamConnector = (endpoint: StreamEndpoint) => Socket;

/** The default connector: `node:net` `createConnection`. */
const defaultStreamConnector: StreamConnector = (endpoint) => createConnection(endpoint);

/** Options for {@link connectStream}. */
export interface ConnectStreamOptions {
  /** Give up after this long (a peer with a full backlog never completes connect). */
  timeoutMs: number;
  /**
   * Gives up early: rejects with a `timeout` {@link ConnectionError} ("gave up connecting") whose
   * cause is the signal's reason.
   */
  signal?: AbortSignal;
  /** The clock the timeout runs on. @default systemClock */
  clock?: Clock;
  /** Names the peer in error messages, e.g. `sway 812`. @default the path, or `host:port` */
  context?: string;
  /** Opens the socket. @default defaultStreamConnector */
  connector?: StreamConnector;
}

/**
 * Connects a stream socket, unix or TCP, within a timeout. Errors are {@link ConnectionError}s:
 * ECONNREFUSED -> `refused`, ENOENT and ENOTFOUND -> `not_configured`, EACCES -> `auth`,
 * EAGAIN -> `busy`, no connection in time or given up -> `timeout`. On failure the socket is
 * destroyed (closed fully, never half-closed).
 *
 * @example
 * ```ts
 * const sway = await connectStream({ path: "/run/user/1000/sway-ipc.1000.812.sock" }, { timeoutMs: 1000 });
 * const bridge = await connectStream({ host: "192.168.1.100", port: 10001 }, { timeoutMs: 2000 });
 * ```
 */
export async function connectStream(
  endpoint: StreamEndpoint,
  options: ConnectStreamOptions,
): Promise<Socket> {
  const address = "path" in endpoint ? endpoint.path : `${endpoint.host}:${endpoint.port}`;
  const context = options.context ?? address;
  const connector = options.connector ?? defaultStreamConnector;
  try {
    return await deadline(
      (signal) => connected(connector(endpoint), signal, context, address),
      options.timeoutMs,
      {
        clock: options.clock,
        signal: options.signal,
        timeoutMessage: `${context}: connect timed out after ${options.timeoutMs} ms`,
      },
    );
  } catch (error) {
    if (options.signal?.aborted && error === options.signal.reason) {
      throw new ConnectionError("timeout", `${context}: gave up connecting`, { cause: error });
    }
    throw error;
  }
}

/** Resolves once `socket` connects; on an error or when `signal` aborts it is destroyed. */
function connected(
  socket: Socket,
  signal: AbortSignal,
  context: string,
  address: string,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(connectFailure(error, context, address));
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
    };
    const cleanup = () => {
      socket.off("connect", onConnect);
      socket.off("error", onError);
      signal.removeEventListener("abort", onAbort);
    };
    socket.once("connect", onConnect);
    socket.once("error", onError);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The error of a failed connect, naming the address once: runtimes put it into their own
 * message too (`connect ECONNREFUSED /run/…/sway-ipc.….sock`), so that copy is dropped.
 */
function connectFailure(error: Error, context: string, address: string): ConnectionError {
  const where = context.includes(address) ? context : `${context} ${address}`;
  const code = (error as { code?: unknown }).code;
  const category = typeof code === "string" ? categoryForErrno(code) : null;
  const said = error.message.replaceAll(address, "").replace(/\s+/g, " ").trim();
  return new ConnectionError(category ?? "closed", `${where}: ${said || "connect failed"}`, {
    cause: error,
  });
}
