import { chmod, lstat, unlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { ensurePrivateDir } from "../platform/runtime_dir.ts";
import { ConnectionError, toConnectionError } from "./errors.ts";
import { waitAtMost } from "./wait_at_most.ts";

/** A request on a control socket: one JSON object per line with at least `cmd`. */
export interface ControlRequest {
  /** The command name, e.g. `status` or `reconnect`. */
  cmd: string;
  /** Command arguments, if any. */
  [argument: string]: unknown;
}

/** Answers one command; its return value becomes `data` of the `{"ok":true}` reply. */
export type ControlHandler = (request: ControlRequest) => unknown | Promise<unknown>;

/** A listening control socket. */
export interface ControlServer {
  /** The socket path. */
  readonly path: string;
  /** Stops listening, ends open client connections and removes the socket file. */
  close(): Promise<void>;
}

/** How long close() waits for replies in progress before ending connections anyway. */
const CLOSE_DRAIN_TIMEOUT_MS = 1000;

/** Longest request line accepted (bytes); a longer one is answered with an error and dropped. */
export const MAX_CONTROL_LINE_BYTES = 64 * 1024;

/**
 * Serves JSON-lines commands on a unix socket, mode 0600 in a 0700 directory (created if
 * missing; an existing one must already be a 0700 directory of ours, not a symlink, else a
 * ConfigError: the socket has the umask's mode between `listen` and `chmod`, so the directory
 * is what keeps other users out). Each request line `{"cmd":"status"}` gets one reply line, `{"ok":true,"data":…}` or
 * `{"ok":false,"error":"…"}`; a connection may carry many requests. A leftover socket file whose
 * listener is gone is replaced; a live one means another instance runs: `busy`.
 *
 * @example
 * ```ts
 * const server = await serveControlSocket("/run/user/1000/tether/focus.sock", {
 *   status: () => ({ daemon: "focus", pid: process.pid }),
 * });
 * await server.close();
 * ```
 */
export async function serveControlSocket(
  path: string,
  handlers: Readonly<Record<string, ControlHandler>>,
): Promise<ControlServer> {
  ensurePrivateDir(dirname(path), process.getuid!());
  await removeLeftoverSocket(path);
  // Each client's chain of pending replies, so close() can let them finish first.
  const clients = new Map<Socket, () => Promise<void>>();
  const server = createServer((socket) => {
    socket.on("close", () => clients.delete(socket));
    socket.on("error", () => socket.destroy());
    const pendingReplies = forEachLine(socket, async (line) => {
      const reply = await answer(line, handlers);
      if (!socket.destroyed) socket.write(JSON.stringify(reply) + "\n");
    });
    clients.set(socket, pendingReplies);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(toConnectionError(error, `control socket ${path}`)));
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return {
    path,
    close: () => closeServer(server, clients, path),
  };
}

async function closeServer(
  server: Server,
  clients: Map<Socket, () => Promise<void>>,
  path: string,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Replies already being computed (e.g. the answer to a "stop" request) are written and
  // flushed before the connection ends; requests arriving from now on are not read.
  await Promise.all([...clients].map(async ([client, pendingReplies]) => {
    client.pause();
    // Bounded: a handler that itself awaits close() must not deadlock shutdown.
    await waitAtMost(pendingReplies(), CLOSE_DRAIN_TIMEOUT_MS);
    await new Promise<void>((resolve) => client.end(resolve));
    client.destroy();
  }));
  await closed;
  await unlink(path).catch(() => {});
}

async function removeLeftoverSocket(path: string): Promise<void> {
  const stats = await lstat(path).catch(() => null);
  if (stats === null) return;
  if (!stats.isSocket()) {
    throw new ConnectionError("not_configured", `${path} exists and is not a socket; remove it`, {
      recoverable: false,
    });
  }
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (alive) {
    throw new ConnectionError("busy", `another tether daemon already listens on ${path}`, {
      recoverable: false,
    });
  }
  await unlink(path);
}

async function answer(
  line: string,
  handlers: Readonly<Record<string, ControlHandler>>,
): Promise<{ ok: true; data: unknown } | { ok: false; error: string }> {
  let request: ControlRequest;
  try {
    request = JSON.parse(line);
    if (typeof request !== "object" || request === null || typeof request.cmd !== "string") {
      return { ok: false, error: 'request must be a JSON object with a string "cmd"' };
    }
  } catch {
    return { ok: false, error: "request is not valid JSON" };
  }
  const handler = Object.hasOwn(handlers, request.cmd) ? handlers[request.cmd] : undefined;
  if (handler === undefined) {
    return {
      ok: false,
      error: `unknown command "${request.cmd}" (known: ${Object.keys(handlers).join(", ")})`,
    };
  }
  try {
    return { ok: true, data: (await handler(request)) ?? null };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Calls `onLine` for each complete line, one at a time; an over-long line ends the connection.
 * Returns a function that resolves once every line read so far has been handled.
 */
function forEachLine(
  socket: Socket,
  onLine: (line: string) => Promise<void>,
): () => Promise<void> {
  let buffered = "";
  let queue = Promise.resolve();
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line !== "") queue = queue.then(() => onLine(line));
    }
    if (Buffer.byteLength(buffered) > MAX_CONTROL_LINE_BYTES) {
      socket.end(JSON.stringify({ ok: false, error: "request line too long" }) + "\n");
      buffered = "";
    }
  });
  return () => queue;
}

/** Options for {@link requestControl}. */
export interface ControlRequestOptions {
  /** Give up after this long (connect + reply). Default 1000 ms. */
  timeoutMs?: number;
  /** Extra fields of the request object. */
  args?: Record<string, unknown>;
}

/**
 * Sends one command to a daemon's control socket and returns the reply's `data`. Connection
 * failures are {@link ConnectionError}s (`refused` for a dead daemon's leftover socket,
 * `timeout` for a hung one); an `{"ok":false}` reply is a `protocol` error carrying its text.
 *
 * @example
 * ```ts
 * const status = await requestControl("/run/user/1000/tether/focus.sock", "status");
 * ```
 */
export function requestControl(
  path: string,
  cmd: string,
  options: ControlRequestOptions = {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? 1000;
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = "";
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new ConnectionError("timeout", `${path}: no reply within ${timeoutMs} ms`))
        ),
      timeoutMs,
    );
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(JSON.stringify({ ...options.args, cmd }) + "\n"));
    socket.on("error", (error) => finish(() => reject(toConnectionError(error, path))));
    socket.on(
      "end",
      () => finish(() => reject(new ConnectionError("closed", `${path}: closed before replying`))),
    );
    socket.on("data", (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf("\n");
      if (newline < 0) return;
      finish(() => settleReply(buffered.slice(0, newline), path, resolve, reject));
    });
  });
}

function settleReply(
  line: string,
  path: string,
  resolve: (data: unknown) => void,
  reject: (error: ConnectionError) => void,
): void {
  let reply: { ok?: unknown; data?: unknown; error?: unknown };
  try {
    reply = JSON.parse(line);
  } catch {
    reject(new ConnectionError("protocol", `${path}: reply is not valid JSON`));
    return;
  }
  if (reply?.ok === true) resolve(reply.data);
  else {
    reject(
      new ConnectionError("protocol", `${path}: ${String(reply?.error ?? "malformed reply")}`, {
        recoverable: false,
      }),
    );
  }
}
