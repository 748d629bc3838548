import { lstatSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ConfigError } from "../platform/config_error.ts";
import type { Environment } from "../platform/paths.ts";
import { type FileFacts, SOCKET_KINDS, type SocketEntry, type SocketKind } from "./socket_entry.ts";
import { type ParsedSocketName, parseSocketName, SOCKET_SUBDIRS } from "./socket_names.ts";

/** A subdirectory that was not scanned, and why (e.g. a symlink planted as `kitty/`). */
export interface SkippedDirectory {
  /** The directory. */
  path: string;
  /** Why it was not scanned. */
  reason: string;
}

/** What {@link discoverSockets} found. */
export interface Discovery {
  /** The runtime dir scanned. */
  runtimeDir: string;
  /** Every socket-named path, plus the ones the session's environment names. */
  entries: SocketEntry[];
  /** Subdirectories left alone. */
  skipped: SkippedDirectory[];
}

/** Options for {@link discoverSockets}. */
export interface DiscoverOptions {
  /** The (already validated) runtime dir. */
  runtimeDir: string;
  /** The environment holding `$SWAYSOCK`, `$I3SOCK`, `$NIRI_SOCKET`. */
  env: Environment;
  /** Our uid. */
  uid: number;
}

/** The environment variables that name the session's compositor socket, and their kind. */
const SESSION_VARIABLES: readonly [string, SocketKind][] = [
  ["SWAYSOCK", "sway"],
  ["I3SOCK", "i3"],
  ["NIRI_SOCKET", "niri"],
];

/**
 * lstat facts for a path, or null when it does not exist. Other errors (EACCES on a parent)
 * are a {@link ConfigError}: tether cannot judge what it cannot see.
 */
export function readFileFacts(path: string): FileFacts | null {
  try {
    // Synchronous on purpose: an lstat takes microseconds, and cleanup does 20,000 of them for
    // 10,000 leftovers; a thread-pool round trip each costs more than the call.
    const stats = lstatSync(path);
    return {
      type: stats.isSocket()
        ? "socket"
        : stats.isSymbolicLink()
        ? "symlink"
        : stats.isFile()
        ? "file"
        : stats.isDirectory()
        ? "directory"
        : "other",
      uid: stats.uid,
      dev: stats.dev,
      ino: stats.ino,
      mode: stats.mode & 0o7777,
      stamp: `${stats.ctimeMs}/${stats.mtimeMs}/${stats.birthtimeMs}`,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new ConfigError(
      `cannot inspect ${path}: ${code ?? String(error)}; check its permissions`,
    );
  }
}

/**
 * Checks §4.1 step 1: the runtime dir is a real directory (not a symlink) owned by `uid` and
 * neither group- nor other-accessible (the usual 0700). Throws a {@link ConfigError} that says
 * what is wrong and how to fix it.
 */
export function verifyRuntimeDir(runtimeDir: string, uid: number): void {
  const facts = readFileFacts(runtimeDir);
  if (facts === null) {
    throw new ConfigError(`XDG_RUNTIME_DIR ${runtimeDir} does not exist`);
  }
  if (facts.type !== "directory") {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} is a ${facts.type}, not a directory; point it at your own runtime directory`,
    );
  }
  if (facts.uid !== uid) {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} is owned by uid ${facts.uid}, not by you (uid ${uid}); tether only works in your own runtime directory`,
    );
  }
  if ((facts.mode & 0o077) !== 0) {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} has mode ${
        facts.mode.toString(8).padStart(4, "0")
      }, must be 0700; fix it with chmod 0700 ${runtimeDir}`,
    );
  }
}

/**
 * Finds the user's IPC sockets: sway and niri sockets in `$XDG_RUNTIME_DIR`, i3's in `i3/`,
 * kitty's in `kitty/`, tether's in `tether/`, plus whatever `$SWAYSOCK`, `$I3SOCK` and
 * `$NIRI_SOCKET` name (marked `current`; a named path that does not exist is kept with
 * `file: null` so it can be reported missing). Subdirectories that are symlinks or owned by
 * someone else are skipped. An unreadable directory is a {@link ConfigError}.
 */
export async function discoverSockets(options: DiscoverOptions): Promise<Discovery> {
  const { runtimeDir, uid } = options;
  const entries = new Map<string, SocketEntry>();
  const skipped: SkippedDirectory[] = [];
  for (const subdir of new Set(Object.values(SOCKET_SUBDIRS))) {
    const dir = subdir === "" ? runtimeDir : join(runtimeDir, subdir);
    if (subdir !== "") {
      const facts = readFileFacts(dir);
      if (facts === null) continue;
      if (facts.type !== "directory" || facts.uid !== uid) {
        skipped.push({
          path: dir,
          reason: facts.type !== "directory"
            ? `is a ${facts.type}, not a directory`
            : `owned by uid ${facts.uid}, not by you`,
        });
        continue;
      }
    }
    const found: SocketEntry[] = [];
    for (const name of await listDirectory(dir)) {
      const parsed = parseSocketName(subdir, name);
      if (parsed === null) continue;
      found.push({
        ...parsed,
        path: join(dir, name),
        current: false,
        inRuntimeDir: true,
        file: null,
      });
    }
    for (const entry of found) {
      entry.file = readFileFacts(entry.path);
      entries.set(entry.path, entry);
    }
  }
  for (const [variable, kind] of SESSION_VARIABLES) {
    const value = options.env[variable];
    if (!value) continue;
    const path = resolve(value);
    const known = entries.get(path);
    if (known) {
      known.current = true;
      continue;
    }
    const parsed = parseEnvironmentPath(path, kind);
    entries.set(path, {
      ...parsed,
      path,
      current: true,
      inRuntimeDir: false,
      file: readFileFacts(path),
    });
  }
  const order = (entry: SocketEntry) => SOCKET_KINDS.indexOf(entry.kind);
  const sorted = [...entries.values()].sort((a, b) =>
    order(a) - order(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
  return { runtimeDir, entries: sorted, skipped };
}

/** Kind and PID for a path named by the environment: by its name when tether knows it. */
function parseEnvironmentPath(path: string, fallbackKind: SocketKind): ParsedSocketName {
  const name = basename(path);
  const parent = dirname(path);
  for (const [kind, subdir] of Object.entries(SOCKET_SUBDIRS)) {
    const parsed = parseSocketName(subdir, name);
    if (parsed && (subdir === "" || basename(parent) === subdir) && kind === parsed.kind) {
      return parsed;
    }
  }
  const protocol = fallbackKind === "niri" ? "niri" : "i3ipc";
  return { kind: fallbackKind, protocol, ownerPid: null, nameUid: null };
}

async function listDirectory(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    throw new ConfigError(
      `cannot read ${dir}: ${
        code ?? String(error)
      }; tether needs to list it (check its permissions)`,
    );
  }
}
