import { lstat, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Environment } from "../platform/paths.ts";
import { ConnectionError } from "../resilience/errors.ts";
import {
  COMPOSITOR_KINDS,
  type CompositorKind,
  compositorNames,
  COMPOSITORS,
} from "./compositors.ts";
import { connectStream, type StreamConnector } from "../resilience/connect_stream.ts";

/** Which compositor `--compositor` asks for. */
export type CompositorChoice = CompositorKind | "auto";

/** A compositor IPC socket that accepted a connection. */
export interface CompositorSocket {
  /** Which compositor. */
  kind: CompositorKind;
  /** The socket path. */
  path: string;
}

/** Options for {@link findCompositorSocket}. */
export interface FindCompositorSocketOptions {
  /** Connect timeout for the liveness check. Default 500 ms. */
  timeoutMs?: number;
  /** Opens sockets. Default `node:net`. */
  connector?: StreamConnector;
}

/**
 * Finds the compositor socket to follow, checking that something listens on it: for `auto`,
 * every compositor's variable in the order of {@link COMPOSITORS} (`$NIRI_SOCKET`, then
 * `$SWAYSOCK`, then `$I3SOCK`), then discovery in `$XDG_RUNTIME_DIR`; for `niri`/`sway`/`i3`
 * only that compositor's variable and files. Discovery takes the IPC sockets each row's name
 * parser knows (`niri.<display>.<pid>.sock`, `sway-ipc.<uid>.<pid>.sock` with uid = the runtime
 * dir's owner, i3's `i3/ipc-socket.<pid>`) and picks the newest live one.
 * It runs again on every reconnect, because a restarted compositor has a new PID and path and
 * the variables inherited at start then name a dead socket. Nothing live is `not_configured`.
 *
 * @example
 * ```ts
 * await findCompositorSocket("auto", process.env); // { kind: "sway", path: "/run/user/1000/sway-ipc.1000.812.sock" }
 * ```
 */
export async function findCompositorSocket(
  choice: CompositorChoice,
  env: Environment,
  options: FindCompositorSocketOptions = {},
): Promise<CompositorSocket> {
  const kinds: readonly CompositorKind[] = choice === "auto" ? COMPOSITOR_KINDS : [choice];
  const candidates: (CompositorSocket & { from: string })[] = [];
  const unset: string[] = [];
  for (const kind of kinds) {
    const name = COMPOSITORS[kind].socketVariable;
    const variable = env[name];
    if (variable) candidates.push({ kind, path: variable, from: `$${name}` });
    else unset.push(`$${name}`);
  }
  const discovered = await discoverSockets(kinds, env.XDG_RUNTIME_DIR);
  candidates.push(...discovered.map((socket) => ({ ...socket, from: "discovery" })));
  // Each path is tried, and reported, once — under the first source that named it.
  const tried = new Map<string, { from: string; problem: string }>();
  for (const candidate of candidates) {
    if (tried.has(candidate.path)) continue;
    const problem = await liveProblem(candidate.path, options);
    if (problem === null) return { kind: candidate.kind, path: candidate.path };
    tried.set(candidate.path, { from: candidate.from, problem });
  }
  const what = choice === "auto" ? compositorNames("or") : COMPOSITORS[choice].displayName;
  const facts = [...tried].map(([path, { from, problem }]) => `${from} ${path}: ${problem}`);
  if (unset.length > 0) facts.unshift(`${unset.join(" and ")} not set`);
  if (discovered.length === 0) {
    facts.push(
      `discovery found no ${what} socket in ${env.XDG_RUNTIME_DIR ?? "$XDG_RUNTIME_DIR (unset)"}`,
    );
  }
  throw new ConnectionError(
    "not_configured",
    `no live ${what} IPC socket — is the compositor running? (${facts.join("; ")})`,
    { recoverable: true },
  );
}

/**
 * The IPC sockets of `kinds` in their directories below `runtimeDir` (each compositor's row says
 * where and how its names read), newest first; at equal times in the order of `kinds`. A name
 * carrying a uid (sway's) counts only with the runtime dir owner's.
 */
async function discoverSockets(
  kinds: readonly CompositorKind[],
  runtimeDir: string | undefined,
): Promise<CompositorSocket[]> {
  if (!runtimeDir) return [];
  let ownerUid: number;
  try {
    ownerUid = (await stat(runtimeDir)).uid;
  } catch {
    return [];
  }
  const listings = new Map<string, Promise<string[]>>();
  const found: { socket: CompositorSocket; mtimeMs: number }[] = [];
  for (const kind of kinds) {
    const row = COMPOSITORS[kind];
    const dir = join(runtimeDir, row.socketDirectory);
    if (!listings.has(dir)) listings.set(dir, readdir(dir).catch(() => []));
    for (const name of await listings.get(dir)!) {
      const parsed = row.parseSocketName(name);
      if (parsed === null || parsed.protocol !== row.protocol) continue;
      if (parsed.nameUid !== null && parsed.nameUid !== ownerUid) continue;
      const path = join(dir, name);
      const info = await lstat(path).catch(() => null);
      if (info === null || !info.isSocket()) continue;
      found.push({ socket: { kind, path }, mtimeMs: info.mtimeMs });
    }
  }
  found.sort((a, b) =>
    b.mtimeMs - a.mtimeMs || kinds.indexOf(a.socket.kind) - kinds.indexOf(b.socket.kind)
  );
  return found.map((entry) => entry.socket);
}

/** Null when something accepts a connection on `path`, else why not, in a few words. */
async function liveProblem(
  path: string,
  options: FindCompositorSocketOptions,
): Promise<string | null> {
  try {
    const socket = await connectStream({ path }, {
      timeoutMs: options.timeoutMs ?? 500,
      connector: options.connector,
    });
    socket.destroy(); // a full close: a half-close makes sway 1.7 spin
    return null;
  } catch (error) {
    const category = error instanceof ConnectionError ? error.category : null;
    return category === "refused"
      ? "connection refused (stale: nothing listens)"
      : category === "not_configured"
      ? "no such file"
      : category === "timeout"
      ? "no answer in time"
      : category === "auth"
      ? "permission denied"
      : "cannot connect";
  }
}
