import { createConnection, type Socket } from "node:net";
import { categoryForErrno, ConnectionError } from "./errors.ts";

/** Opens a stream to a unix socket path; tests may pass one that points elsewhere. */
export type UnixConnector = (path: string) => Socket;

/** The default connector: `node:net` `createConnection(path)`. */
export const defaultUnixConnector: UnixConnector = (path) => createConnection(path);

/** Options for {@link connectUnix}. */
export interface ConnectUnixOptions {
  /** Give up after this long (a peer with a full backlog never completes connect). */
  timeoutMs: number;
  /** Names the peer in error messages, e.g. `sway 812`. Default: the path. */
  context?: string;
  /** Opens the socket. Default {@link defaultUnixConnector}. */
  connector?: UnixConnector;
}

/**
 * Connects to a unix socket with a timeout. Errors are {@link ConnectionError}s: ECONNREFUSED
 * -> `refused`, ENOENT -> `not_configured`, EACCES -> `auth`, EAGAIN -> `busy`, no answer in
 * time -> `timeout`. On failure the socket is destroyed (closed fully, never half-closed).
 *
 * @example
 * ```ts
 * const socket = await connectUnix("/run/user/1000/sway-ipc.1000.812.sock", { timeoutMs: 1000 });
 * socket.destroy();
 * ```
 */
export function connectUnix(path: string, options: ConnectUnixOptions): Promise<Socket> {
  const context = options.context ?? path;
  return new Promise((resolve, reject) => {
    const socket = (options.connector ?? defaultUnixConnector)(path);
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      reject(
        new ConnectionError(
          "timeout",
          `${context}: connect timed out after ${options.timeoutMs} ms`,
        ),
      );
    }, options.timeoutMs);
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(connectFailure(error, context, path));
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
    };
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
}

/**
 * The error of a failed connect, naming the path once: runtimes put the path into their own
 * message too (`connect ECONNREFUSED /run/…/sway-ipc.….sock`), so that copy is dropped.
 */
function connectFailure(error: Error, context: string, path: string): ConnectionError {
  const where = context.includes(path) ? context : `${context} ${path}`;
  const code = (error as { code?: unknown }).code;
  const category = typeof code === "string" ? categoryForErrno(code) : null;
  const said = error.message.replaceAll(path, "").replace(/\s+/g, " ").trim();
  return new ConnectionError(category ?? "closed", `${where}: ${said || "connect failed"}`, {
    cause: error,
  });
}
