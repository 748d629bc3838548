import { basename, dirname } from "node:path";
import {
  SOCKET_KIND_ROWS,
  SOCKET_KINDS,
  SOCKET_SUBDIRECTORIES,
  type SocketKind,
  type SocketName,
} from "./socket_kinds.ts";

/** What a socket's file name tells: kind, protocol, owner PID and (sway) uid. */
export interface ParsedSocketName extends SocketName {
  /** Which program's socket. */
  kind: SocketKind;
}

/**
 * Parses a file name found in `subdir` of the runtime dir; null when it is not a socket name
 * tether knows. PIDs and uids must be plain decimal numbers within range.
 *
 * @example
 * ```ts
 * parseSocketName("", "sway-ipc.1000.812.sock"); // {kind: "sway", ownerPid: 812, nameUid: 1000, ...}
 * ```
 */
export function parseSocketName(subdir: string, name: string): ParsedSocketName | null {
  for (const kind of SOCKET_KINDS) {
    const row = SOCKET_KIND_ROWS[kind];
    if (row.subdirectory !== subdir) continue;
    const parsed = row.parseName(name);
    if (parsed !== null) return { kind, ...parsed };
  }
  return null;
}

/**
 * What a full path's name tells (pure): the file name parsed as in the directory it sits in
 * (`…/kitty/kitty-5.sock` is kitty's, `…/i3/ipc-socket.7` i3's, a sway or niri name anywhere),
 * narrowed to `kind` when given. With `kind` and a name tether does not know, that kind's
 * protocol and no PIDs; without `kind`, null then. For paths not found by listing a directory
 * (`--path`, `$SWAYSOCK`, `$I3SOCK`, `$NIRI_SOCKET`).
 *
 * @example
 * ```ts
 * parseSocketPath("/run/user/1000/kitty/kitty-5.sock"); // {kind: "kitty", ownerPid: 5, ...}
 * parseSocketPath("/tmp/my.sock", "sway"); // {kind: "sway", protocol: "i3ipc", ownerPid: null, ...}
 * ```
 */
export function parseSocketPath(path: string, kind: SocketKind): ParsedSocketName;
/** Without a kind: null when the name does not tell whose socket it is. */
export function parseSocketPath(path: string, kind?: SocketKind): ParsedSocketName | null;
/** The implementation of both signatures above. */
export function parseSocketPath(path: string, kind?: SocketKind): ParsedSocketName | null {
  const name = basename(path);
  const parent = basename(dirname(path));
  for (const subdir of SOCKET_SUBDIRECTORIES) {
    if (subdir !== "" && subdir !== parent) continue;
    const parsed = parseSocketName(subdir, name);
    if (parsed !== null && (kind === undefined || parsed.kind === kind)) return parsed;
  }
  return kind === undefined
    ? null
    : { kind, protocol: SOCKET_KIND_ROWS[kind].protocol, ownerPid: null, nameUid: null };
}
