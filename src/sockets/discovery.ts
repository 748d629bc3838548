import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError } from "../platform/config_error.ts";
import type { Environment } from "../platform/paths.ts";
import { readFileFacts } from "./file_facts.ts";
import type { SocketEntry } from "./socket_entry.ts";
import {
  SOCKET_KIND_ROWS,
  SOCKET_KINDS,
  SOCKET_SUBDIRECTORIES,
  type SocketKind,
} from "./socket_kinds.ts";
import { parseSocketName, parseSocketPath } from "./socket_names.ts";

/** A subdirectory that was not scanned, and why (e.g. a symlink planted as `kitty/`). */
export interface SkippedDirectory {
  /** The directory. */
  path: string;
  /** The (first) kind whose sockets live there. */
  kind: SocketKind;
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

/** The environment variables that name the session's sockets (the compositors'), and their kind. */
const SESSION_VARIABLES: readonly [string, SocketKind][] = SOCKET_KINDS.flatMap((kind) => {
  const variable = SOCKET_KIND_ROWS[kind].sessionVariable;
  return variable === null ? [] : [[variable, kind] as [string, SocketKind]];
});

/**
 * Finds the user's IPC sockets where each kind's row (socket_kinds.ts) says — sway and niri
 * sockets in `$XDG_RUNTIME_DIR`, i3's in `i3/`, kitty's in `kitty/`, tether's in `tether/` —
 * plus whatever the rows' session variables (`$SWAYSOCK`, `$I3SOCK`, `$NIRI_SOCKET`) name (marked `current`; a named path that does not exist is kept with
 * `file: null` so it can be reported missing). Subdirectories that are symlinks or owned by
 * someone else are skipped. An unreadable directory is a {@link ConfigError}.
 */
export async function discoverSockets(options: DiscoverOptions): Promise<Discovery> {
  const { runtimeDir, uid } = options;
  const entries = new Map<string, SocketEntry>();
  const skipped: SkippedDirectory[] = [];
  for (const subdir of SOCKET_SUBDIRECTORIES) {
    const dir = subdir === "" ? runtimeDir : join(runtimeDir, subdir);
    if (subdir !== "") {
      const facts = readFileFacts(dir);
      if (facts === null) continue;
      if (facts.type !== "directory" || facts.uid !== uid) {
        skipped.push({
          path: dir,
          kind: SOCKET_KINDS.find((kind) => SOCKET_KIND_ROWS[kind].subdirectory === subdir)!,
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
    entries.set(path, entryForPath(path, options.env, kind));
  }
  const order = (entry: SocketEntry) => SOCKET_KINDS.indexOf(entry.kind);
  const sorted = [...entries.values()].sort((a, b) =>
    order(a) - order(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  );
  return { runtimeDir, entries: sorted, skipped };
}

/**
 * The entry for one path that discovery did not find by listing a directory: `--path`, or a
 * path `$SWAYSOCK`/`$I3SOCK`/`$NIRI_SOCKET` names. Kind, protocol and PIDs come from its name
 * ({@link parseSocketPath}), narrowed to `kind` when given; `current` says whether the
 * session's environment names it. Never `inRuntimeDir`: cleanup does not remove a path on the
 * environment's say-so. Null only without `kind`, when the name does not tell the kind.
 */
export function entryForPath(path: string, env: Environment, kind: SocketKind): SocketEntry;
/** Without a kind: null when the file name does not tell whose socket it is. */
export function entryForPath(
  path: string,
  env: Environment,
  kind?: SocketKind,
): SocketEntry | null;
/** The implementation of both signatures above. */
export function entryForPath(
  path: string,
  env: Environment,
  kind?: SocketKind,
): SocketEntry | null {
  const absolute = resolve(path);
  const parsed = parseSocketPath(absolute, kind);
  if (parsed === null) return null;
  const current = SESSION_VARIABLES.some(([variable]) => {
    const value = env[variable];
    return value !== undefined && value !== "" && resolve(value) === absolute;
  });
  return { ...parsed, path: absolute, current, inRuntimeDir: false, file: readFileFacts(absolute) };
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
