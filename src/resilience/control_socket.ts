import { lstat, unlink } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { dirname } from "node:path";
import { fileDescriptorHeadroom } from "../platform/proc.ts";
import { ensurePrivateDir } from "../platform/runtime_dir.ts";
import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import {
  controlErrorReply,
  type ControlReply,
  ControlReplyError,
  type ControlRequest,
  decodeControlReply,
  decodeControlRequest,
  encodeControlReply,
} from "./control_protocol.ts";
import { ConnectionError, toConnectionError } from "./errors.ts";
import { waitAtMost } from "./deadline.ts";
import {
  DEFAULT_ACCEPTS_PER_TURN,
  listenYielding,
  type YieldingListener,
} from "./yielding_listener.ts";

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
const MAX_CONTROL_LINE_BYTES = 64 * 1024;

/**
 * Limits of one control socket. Memory is bounded by them: at most `maxConnections` clients,
 * each holding at most one request line being read ({@link MAX_CONTROL_LINE_BYTES} plus one
 * read chunk), one request being answered, and one reply not yet taken by the client (reading
 * stops until the client drains it) — about 256 × 200 KB = 50 MB in the worst case, a few MB
 * in practice (measured: README "Reliability").
 */
export interface ControlLimits {
  /**
   * Clients at once (and at most half the file descriptors left at start). A newcomer past it
   * displaces the oldest client that sent nothing yet or is idle for at least
   * {@link EVICTABLE_AFTER_MS}, else is told "busy" and disconnected. Default 256.
   */
  maxConnections: number;
  /** A client with no traffic for this long, and no request being answered, is disconnected. Default 60 s. */
  idleTimeoutMs: number;
}

/** The defaults of {@link ControlLimits}. */
const DEFAULT_CONTROL_LIMITS: Readonly<ControlLimits> = {
  maxConnections: 256,
  idleTimeoutMs: 60_000,
};

/** Options for {@link serveControlSocket}: its {@link ControlLimits} and its clock. */
export interface ControlServerOptions extends Partial<ControlLimits> {
  /**
   * Times close()'s wait for replies in progress.
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * Serves JSON-lines commands on a unix socket, mode 0600 in a 0700 directory (created if
 * missing; an existing one must already be a 0700 directory of ours, not a symlink, else a
 * ConfigError: the directory is what keeps other users out, the socket is bound under a
 * temporary name there and tightened before it is renamed into place). Each request line `{"cmd":"status"}` gets one reply line, `{"ok":true,"data":…}` or
 * `{"ok":false,"error":{category,message,recoverable}}` (control_protocol.ts: a handler's
 * {@link ConnectionError} keeps its category); a connection may carry many requests, answered
 * one at a time.
 * A leftover socket file whose listener is gone is replaced; a live one means another instance
 * runs: `busy`. Under abuse it stays answerable ({@link ControlLimits}): a client that pipelines
 * requests without reading the replies is not read from until it does (backpressure) and is
 * dropped when idle that way; connections past the cap are refused at once, so a flood of
 * idle connections never exhausts file descriptors (the accept loop then had nothing to
 * accept with and spun at 100 % CPU), and a connect/close flood cannot hold the event loop in
 * the runtime's accept loop ({@link listenYielding}).
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
  options: ControlServerOptions = {},
): Promise<ControlServer> {
  const configured = { ...DEFAULT_CONTROL_LIMITS, ...options };
  const { idleTimeoutMs } = configured;
  // Never more clients than half the descriptors left: at EMFILE the runtime's accept loop
  // spins (measured: 47 % CPU with the limit at 128) instead of waiting.
  const headroom = fileDescriptorHeadroom();
  const maxConnections = headroom === null
    ? configured.maxConnections
    : Math.max(1, Math.min(configured.maxConnections, Math.floor(headroom / 2)));
  ensurePrivateDir(dirname(path), process.getuid!());
  await removeLeftoverSocket(path);
  // Every client, oldest first, with its reply in progress (close() lets it finish first).
  const clients = new Map<Socket, ControlClient>();
  // Never more accepts per turn than clients allowed: a burst then cannot displace a connection
  // it accepted itself before that client's request was read.
  const listener = await listenYielding(path, (socket) => {
    socket.on("error", () => socket.destroy());
    if (clients.size >= maxConnections && !dropOldestIdle(clients)) {
      socket.end(encodeControlReply(controlErrorReply(
        new ConnectionError("busy", `busy: ${maxConnections} clients connected`),
      )));
      socket.destroySoon();
      return;
    }
    socket.on("close", () => clients.delete(socket));
    clients.set(socket, serveClient(socket, handlers, idleTimeoutMs));
  }, { acceptsPerTurn: Math.min(DEFAULT_ACCEPTS_PER_TURN, maxConnections) });
  return {
    path,
    close: () => closeServer(listener, clients, options.clock ?? systemClock),
  };
}

/**
 * How long a client that sent something must have been silent before a newcomer may displace
 * it (one that sent nothing at all may be displaced at once).
 */
export const EVICTABLE_AFTER_MS = 250;

/**
 * At the connection cap, makes room by disconnecting the oldest client that is not waiting for
 * an answer and has sent nothing yet or has been silent for {@link EVICTABLE_AFTER_MS}: a
 * flood of idle connections then displaces only itself, while a client that connected and
 * asked something is served. Under a connect/close flood the slots fill with connections the
 * flooder already closed (the runtime accepts faster than it delivers their end): the newcomer
 * displaces those instead of being told "busy". False when there is none.
 */
function dropOldestIdle(clients: Map<Socket, ControlClient>): boolean {
  const now = performance.now();
  for (const [socket, client] of clients) {
    if (
      !client.answering() &&
      (!client.hasSent() || now - client.lastActiveAt() >= EVICTABLE_AFTER_MS)
    ) {
      clients.delete(socket);
      socket.destroy();
      return true;
    }
  }
  return false;
}

async function closeServer(
  listener: YieldingListener,
  clients: Map<Socket, ControlClient>,
  clock: Clock,
): Promise<void> {
  const closed = listener.close();
  // Replies already being computed (e.g. the answer to a "stop" request) are written and
  // flushed before the connection ends; requests arriving from now on are not read.
  await Promise.all([...clients].map(async ([client, state]) => {
    client.pause();
    // Bounded: a handler that itself awaits close() must not deadlock shutdown.
    await waitAtMost(state.replied(), CLOSE_DRAIN_TIMEOUT_MS, clock);
    await new Promise<void>((resolve) => client.end(resolve));
    client.destroy();
  }));
  await closed;
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
): Promise<ControlReply> {
  const decoded = decodeControlRequest(line);
  if (!decoded.ok) return decoded;
  const { request } = decoded;
  const handler = Object.hasOwn(handlers, request.cmd) ? handlers[request.cmd] : undefined;
  if (handler === undefined) {
    return controlErrorReply(
      new Error(`unknown command "${request.cmd}" (known: ${Object.keys(handlers).join(", ")})`),
    );
  }
  try {
    return { ok: true, data: (await handler(request)) ?? null };
  } catch (error) {
    return controlErrorReply(error);
  }
}

/** The reply to a request line longer than {@link MAX_CONTROL_LINE_BYTES}. */
const LINE_TOO_LONG = encodeControlReply(controlErrorReply(new Error("request line too long")));

/**
 * Reads requests from one client and answers them one at a time. Reading stops while a line is
 * being answered and there is already a full line waiting, or while the last reply has not
 * been taken by the client (write backpressure), so a client that floods requests without
 * reading replies costs one buffered line and one reply, not memory without end. An over-long
 * line ends the connection.
 */
function serveClient(
  socket: Socket,
  handlers: Readonly<Record<string, ControlHandler>>,
  idleTimeoutMs: number,
): ControlClient {
  let buffered = "";
  let answering: Promise<void> | null = null;
  let replyNotTaken = false;
  let lastActiveAt = performance.now();
  let hasSent = false;
  const pump = () => {
    while (answering === null && !replyNotTaken && !socket.destroyed) {
      const newline = buffered.indexOf("\n");
      if (newline < 0) {
        if (Buffer.byteLength(buffered) > MAX_CONTROL_LINE_BYTES) {
          socket.end(LINE_TOO_LONG);
          buffered = "";
          return;
        }
        socket.resume();
        return;
      }
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === "") continue;
      // One request at a time; while it is answered, read on only until the next full line.
      if (buffered.includes("\n")) socket.pause();
      // Set before the handler runs: a handler may call close(), which must wait for this reply.
      let replied!: () => void;
      answering = new Promise<void>((resolve) => (replied = resolve));
      answer(line, handlers).then((reply) => {
        if (socket.destroyed) return;
        if (!socket.write(encodeControlReply(reply))) {
          replyNotTaken = true;
          socket.pause();
          socket.once("drain", () => {
            replyNotTaken = false;
            pump();
          });
        }
      }).finally(() => {
        answering = null;
        replied();
        pump();
      });
    }
  };
  socket.setEncoding("utf8");
  // Idle: no traffic either way for idleTimeoutMs. A client waiting for a slow answer (a
  // Conbus send with a long timeout) is not idle; one not reading its replies is.
  socket.setTimeout(idleTimeoutMs, () => {
    if (answering === null || replyNotTaken) socket.destroy();
  });
  socket.on("data", (chunk: string) => {
    lastActiveAt = performance.now();
    hasSent = true;
    buffered += chunk;
    if (answering !== null && buffered.includes("\n")) socket.pause();
    if (Buffer.byteLength(buffered) > MAX_CONTROL_LINE_BYTES && !buffered.includes("\n")) {
      socket.end(LINE_TOO_LONG);
      buffered = "";
      return;
    }
    pump();
  });
  return {
    replied: () => answering ?? Promise.resolve(),
    answering: () => answering !== null && !replyNotTaken,
    lastActiveAt: () => lastActiveAt,
    hasSent: () => hasSent,
  };
}

/** One connected client, as the server sees it. */
interface ControlClient {
  /** Resolves once the reply in progress (if any) was written. */
  replied(): Promise<void>;
  /** Whether a request of it is being answered (it is not idle). */
  answering(): boolean;
  /** When it connected or last sent something (`performance.now()` ms). */
  lastActiveAt(): number;
  /** Whether it sent anything yet. */
  hasSent(): boolean;
}

/** Options for {@link requestControl}. */
export interface ControlRequestOptions {
  /**
   * Give up after this long (connect + reply).
   * @default 1000
   */
  timeoutMs?: number;
  /** Extra fields of the request object. */
  args?: Record<string, unknown>;
  /**
   * Times the timeout and the pauses between retries.
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * Sends one command to a daemon's control socket and returns the reply's `data`. Connection
 * failures are {@link ConnectionError}s (`refused` for a dead daemon's leftover socket,
 * `timeout` for a hung one, `protocol` for a reply that is none); an `{"ok":false}` reply is a
 * {@link ControlReplyError} with the daemon's category, `recoverable` and message (after the
 * socket path). A `busy` recoverable reply (no room for the request) is sent again shortly.
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
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  // A connect refused for lack of room (a full backlog during a connect flood: EAGAIN, which
  // the compiled binary's runtime reports as ECONNREFUSED) or a "busy" answer is tried again
  // for a short while; a dead daemon's leftover socket then costs at most this much more.
  const retryWindowMs = Math.min(CONNECT_RETRY_WINDOW_MS, timeoutMs / 2);
  // A "busy" answer, a reset before any answer or EAGAIN proves a live daemon short of room:
  // those are tried again until shortly before the timeout (for at most 2 s: a long `send`
  // timeout does not mean polling a busy daemon that long).
  const busyRetryWindowMs = Math.max(
    retryWindowMs,
    Math.min(timeoutMs - BUSY_RETRY_MARGIN_MS, MAX_BUSY_RETRY_WINDOW_MS),
  );
  return new Promise((resolve, reject) => {
    let socket: Socket;
    let retryTimer: TimerHandle | undefined;
    let done = false;
    const finish = (outcome: () => void) => {
      done = true;
      clock.clearTimeout(timer);
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      socket.destroy();
      outcome();
    };
    const timer = clock.setTimeout(
      () =>
        finish(() =>
          reject(new ConnectionError("timeout", `${path}: no reply within ${timeoutMs} ms`))
        ),
      timeoutMs,
    );
    const retryOr = (fail: () => void, windowMs = retryWindowMs) => {
      if (clock.now() - startedAt >= windowMs) return finish(fail);
      socket.destroy();
      retryTimer = clock.setTimeout(() => {
        if (!done) attempt();
      }, CONNECT_RETRY_DELAY_MS);
    };
    const attempt = () => {
      const current = createConnection(path);
      socket = current;
      // Events of an attempt given up (destroyed for a retry) are ignored.
      const live = () => socket === current && !done;
      let buffered = "";
      let connected = false;
      socket.setEncoding("utf8");
      socket.once("connect", () => {
        connected = true;
        socket.write(JSON.stringify({ ...options.args, cmd }) + "\n");
      });
      socket.on("error", (error: NodeJS.ErrnoException) => {
        if (!live()) return;
        const fail = () => reject(toConnectionError(error, path));
        // Refused for lack of room, or dropped at once to make room (written into a closed
        // connection, or reset) before any answer: worth another try.
        const refused = !connected && error.code === "ECONNREFUSED";
        const noRoom = !connected && error.code === "EAGAIN";
        const dropped = buffered === "" && (error.code === "EPIPE" || error.code === "ECONNRESET");
        if (noRoom || dropped) retryOr(fail, busyRetryWindowMs);
        else if (refused) retryOr(fail);
        else finish(fail);
      });
      socket.on("end", () => {
        if (!live()) return;
        finish(() => reject(new ConnectionError("closed", `${path}: closed before replying`)));
      });
      socket.on("data", (chunk: string) => {
        if (!live()) return;
        buffered += chunk;
        const newline = buffered.indexOf("\n");
        if (newline < 0) return;
        const reply = decodeControlReply(buffered.slice(0, newline));
        if (reply === null) {
          return finish(() => reject(new ConnectionError("protocol", `${path}: malformed reply`)));
        }
        if (reply.ok) return finish(() => resolve(reply.data));
        const refused = new ControlReplyError(path, reply.error);
        const fail = () => reject(refused);
        if (refused.category === "busy" && refused.recoverable) {
          return retryOr(fail, busyRetryWindowMs);
        }
        finish(fail);
      });
    };
    attempt();
  });
}

/** How long {@link requestControl} keeps retrying a connect refused for lack of room. */
const CONNECT_RETRY_WINDOW_MS = 250;

/** Time kept for the last attempt when "busy" and resets are retried until the timeout. */
const BUSY_RETRY_MARGIN_MS = 150;

/** Longest time "busy" and resets are retried, whatever the timeout. */
const MAX_BUSY_RETRY_WINDOW_MS = 2000;

/** Pause between those retries. */
const CONNECT_RETRY_DELAY_MS = 10;
