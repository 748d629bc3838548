import { chmodSync, linkSync, lstatSync, readdirSync, renameSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { basename, dirname, join } from "node:path";
import { isProcessAlive } from "../platform/proc.ts";
import { type Clock, systemClock } from "./clock.ts";
import { toConnectionError } from "./errors.ts";

/** Options of {@link listenYielding}. */
export interface YieldingListenerOptions {
  /**
   * Connections accepted without the event loop turning once, after which the listener is
   * replaced so that the loop turns (see {@link listenYielding}). Smaller answers sooner under
   * a Bun flood (one machine, `status` answered of 30: 30 and 29–30 at 32 and 16, 24–27 at 64,
   * 22 at 256, 17 at 1024; noisy: the flood's rate varied 2× between runs).
   * @default 32
   */
  acceptsPerTurn?: number;
  /**
   * …and only once the event loop has not turned for this long while accepting: a batch of
   * accepts delivered at once (Deno delivers 50 in one go, in a few ms) is no starvation, and
   * replacing the listener then only resets the connections still queued on it.
   * @default 5
   */
  starvedAfterMs?: number;
  /**
   * The kernel's queue of connections not yet accepted (capped at `net.core.somaxconn`).
   * @default 4096
   */
  backlog?: number;
  /** Measures starvation; waits between attempts to bind the next listener. @default systemClock */
  clock?: Clock;
}

/** A unix socket listening at a path through {@link listenYielding}. */
export interface YieldingListener {
  /** How often the listener was replaced to let the event loop turn. */
  readonly replacements: number;
  /** Stops accepting and removes the socket file. */
  close(): Promise<void>;
}

/** The default of {@link YieldingListenerOptions.acceptsPerTurn}. */
export const DEFAULT_ACCEPTS_PER_TURN = 32;

/** Pause between attempts to bind the next listener when binding fails (e.g. EMFILE). */
const RELISTEN_RETRY_MS = 20;

/**
 * Listens on a unix socket at `path` (mode 0600 from the first moment: it is bound under a
 * hidden temporary name, tightened, then renamed into place) and hands every connection to
 * `onConnection`.
 *
 * Why replacing: Bun's accept loop (uSockets) accepts until the backlog is empty before it
 * returns to the event loop. A process that connects and closes as fast as it can keeps the
 * backlog full, so the loop never returned — measured: no `epoll_wait` for seconds, no data,
 * close or timer events, a well-behaved `status` answered 0 times in 60 — while the daemon's
 * own accept handler ran for every flood connection. Neither Bun nor node:net can pause
 * accepting; closing the listening socket is the one thing that ends the loop. So after
 * `acceptsPerTurn` connections and `starvedAfterMs` without a turn, a spare listener (bound beforehand) is renamed
 * over `path` and the current one is closed; the event loop then reads the clients it accepted.
 * Connections still queued on the closed listener are reset, which `requestControl` retries.
 *
 * Errors: the first listen fails with a {@link ConnectionError}; binding a spare that fails is
 * retried every {@link RELISTEN_RETRY_MS} ms (no switch happens meanwhile).
 */
export async function listenYielding(
  path: string,
  onConnection: (socket: Socket) => void,
  options: YieldingListenerOptions = {},
): Promise<YieldingListener> {
  const acceptsPerTurn = options.acceptsPerTurn ?? DEFAULT_ACCEPTS_PER_TURN;
  const backlog = options.backlog ?? 4096;
  const starvedAfterMs = options.starvedAfterMs ?? 5;
  const clock = options.clock ?? systemClock;
  let generation = 0;
  let acceptedSinceTurn = 0;
  let turnPending = false;
  let firstAcceptAt = 0;
  let replacements = 0;
  let closed = false;
  let current: Bound | null = null;
  // The next listener, bound and tightened under its temporary name, ready to be renamed over
  // `path` at once: switching costs one rename, so the path is never without a listener.
  let spare: Bound | null = null;
  let preparing: Promise<void> | null = null;

  const accept = (socket: Socket) => {
    acceptedSinceTurn++;
    if (!turnPending) {
      turnPending = true;
      firstAcceptAt = clock.now();
      setImmediate(() => {
        turnPending = false;
        acceptedSinceTurn = 0;
      });
    }
    onConnection(socket);
    if (
      acceptedSinceTurn >= acceptsPerTurn && clock.now() - firstAcceptAt >= starvedAfterMs &&
      spare !== null && !closed
    ) switchToSpare();
  };

  // Binds a listener under a hidden temporary name in the same directory and tightens it to
  // 0600 before it is renamed into place (the 0700 directory keeps others out meanwhile).
  const bind = async (): Promise<Bound> => {
    const temporary = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${generation++}.next`,
    );
    if (lstatSync(temporary, { throwIfNoEntry: false })?.isSocket()) unlinkSync(temporary);
    const server = createServer(accept);
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) => reject(toConnectionError(error, `control socket ${path}`)));
      server.listen({ path: temporary, backlog }, () => resolve());
    });
    // After listen, errors are accept() failures (EMFILE, ENFILE): that one client is lost,
    // the server goes on (an unhandled 'error' would end the daemon).
    server.on("error", () => {});
    try {
      chmodSync(temporary, 0o600);
    } catch (error) {
      server.close();
      throw toConnectionError(error, `control socket ${path}`);
    }
    return { server, temporary };
  };

  // Prepares the next spare, retrying while binding fails (e.g. EMFILE during a flood).
  const prepareSpare = () => {
    preparing ??= (async () => {
      while (!closed && spare === null) {
        try {
          const bound = await bind();
          if (closed) bound.server.close();
          else spare = bound;
        } catch {
          await clock.sleep(RELISTEN_RETRY_MS);
        }
      }
    })().finally(() => (preparing = null));
  };

  // Renames the spare over `path` and closes the listener that was there: its accept loop
  // ends, and connections still queued on it are refused (their clients try again).
  const switchToSpare = () => {
    const next = spare!;
    spare = null;
    try {
      promote(next, path);
    } catch {
      // The directory went away or changed under us: keep the current listener, drop the spare.
      next.server.close();
      prepareSpare();
      return;
    }
    replacements++;
    // The runtime unlinks the name it bound (the temporary one, linked back to the socket file
    // being closed), never `path`.
    current?.server.close();
    current = next;
    prepareSpare();
  };

  removeLeftovers(path);
  try {
    current = await bind();
    promote(current, path);
  } catch (error) {
    current?.server.close();
    throw toConnectionError(error, `control socket ${path}`);
  }
  prepareSpare();
  return {
    get replacements() {
      return replacements;
    },
    async close() {
      closed = true;
      // First and synchronously: a shutdown at its deadline may exit before the rest is done,
      // and the path must not outlive the daemon (the runtime removes only the bound names).
      removeIfStill(path, current?.inode);
      await preparing;
      spare?.server.close();
      const listening = current;
      current = null;
      if (listening !== null) {
        await new Promise<void>((resolve) => listening.server.close(() => resolve()));
      }
    },
  };
}

/**
 * Puts a bound listener at `path` (atomically replacing what was there) and links its
 * temporary name back to the same file: the name the kernel reports for the listener
 * (/proc/net/unix shows the bound name) then still leads to its socket file, so `cleanup`'s
 * listener-to-file matching without `ss` finds it instead of doubting every refused socket.
 * The runtime unlinks that name when the listener closes.
 */
function promote(bound: Bound, path: string): void {
  renameSync(bound.temporary, path);
  bound.inode = lstatSync(path).ino;
  try {
    linkSync(path, bound.temporary);
  } catch {
    // Only `cleanup` without `ss` is less sure then (it keeps refused sockets: the safe side).
  }
}

/** Unlinks `path` if it is still the socket file `inode` (never one another daemon put there). */
function removeIfStill(path: string, inode: number | undefined): void {
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (stats?.isSocket() && stats.ino === inode) unlinkSync(path);
  } catch {
    // already gone, or the directory with it
  }
}

/**
 * Removes temporary names a killed daemon left beside `path` (`.<name>.<pid>.<n>.next`): only
 * sockets, only of processes that no longer exist.
 */
function removeLeftovers(path: string): void {
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix)
      ? name.slice(prefix.length).match(/^(\d+)\.\d+\.next$/)?.[1]
      : undefined;
    if (pid === undefined || Number(pid) === process.pid || isProcessAlive(Number(pid))) continue;
    const leftover = join(dirname(path), name);
    if (lstatSync(leftover, { throwIfNoEntry: false })?.isSocket()) unlinkSync(leftover);
  }
}

/** A listening server, the temporary name it was bound under, and its file's inode once at the path. */
interface Bound {
  server: Server;
  temporary: string;
  inode?: number;
}
