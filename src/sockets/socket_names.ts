import { basename, dirname } from "node:path";
import type { ProbeProtocol, SocketKind } from "./socket_entry.ts";

/** What a socket's file name tells: kind, protocol, owner PID and (sway) uid. */
export interface ParsedSocketName {
  /** Which program's socket. */
  kind: SocketKind;
  /** How to probe it. */
  protocol: ProbeProtocol;
  /** The PID in the name, if any. */
  ownerPid: number | null;
  /** The uid in the name (sway only). */
  nameUid: number | null;
}

/** Where each kind lives below `$XDG_RUNTIME_DIR` ("" = the directory itself). */
export const SOCKET_SUBDIRS: Readonly<Record<SocketKind, string>> = {
  sway: "",
  niri: "",
  i3: "i3",
  kitty: "kitty",
  tether: "tether",
};

/** sway: `sway-ipc.<uid>.<pid>.sock` (sway/ipc-server.c `ipc_user_sockaddr`). */
const SWAY = /^sway-ipc\.(\d+)\.(\d+)\.sock$/;
/** niri: `niri.<WAYLAND_DISPLAY>.<pid>.sock` (niri src/ipc/server.rs `IpcServer::start`). */
const NIRI = /^niri\.(.+)\.(\d+)\.sock$/;
/** i3: `i3/ipc-socket.<pid>` and `i3/log-stream-socket.<pid>` (libi3 get_process_filename). */
const I3_IPC = /^ipc-socket\.(\d+)$/;
const I3_LOG = /^log-stream-socket\.(\d+)$/;
/** kitty: `kitty/kitty-<pid>.sock` (the `--listen-on unix:$XDG_RUNTIME_DIR/kitty/kitty-{kitty_pid}.sock` convention). */
const KITTY = /^kitty-(\d+)\.sock$/;
/**
 * tether's own daemons: `tether/*.sock`, any name as the shell glob matches it (not starting
 * with a dot, dots inside allowed: `conbus.192.168.1.100.sock`). Control characters are
 * refused: a newline would split the path's line in /proc/net/unix, and cleanup must find
 * every listener there.
 */
const TETHER = /^(?!\.)[^/\p{Cc}]+\.sock$/u;

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
  let match: RegExpMatchArray | null;
  switch (subdir) {
    case "":
      if ((match = name.match(SWAY))) {
        const nameUid = toId(match[1]!);
        const ownerPid = toId(match[2]!);
        if (nameUid === null || ownerPid === null) return null;
        return { kind: "sway", protocol: "i3ipc", ownerPid, nameUid };
      }
      if ((match = name.match(NIRI))) {
        const ownerPid = toId(match[2]!);
        return ownerPid === null
          ? null
          : { kind: "niri", protocol: "niri", ownerPid, nameUid: null };
      }
      return null;
    case "i3":
      if ((match = name.match(I3_IPC) ?? name.match(I3_LOG))) {
        const ownerPid = toId(match[1]!);
        if (ownerPid === null) return null;
        const protocol = name.startsWith("ipc-") ? "i3ipc" : "connect";
        return { kind: "i3", protocol, ownerPid, nameUid: null };
      }
      return null;
    case "kitty":
      if ((match = name.match(KITTY))) {
        const ownerPid = toId(match[1]!);
        return ownerPid === null
          ? null
          : { kind: "kitty", protocol: "kitty", ownerPid, nameUid: null };
      }
      return null;
    case "tether":
      return TETHER.test(name)
        ? { kind: "tether", protocol: "tether", ownerPid: null, nameUid: null }
        : null;
    default:
      return null;
  }
}

/** How each kind is probed when its file name does not tell (i3's log stream does). */
const KIND_PROTOCOLS: Readonly<Record<SocketKind, ProbeProtocol>> = {
  sway: "i3ipc",
  i3: "i3ipc",
  niri: "niri",
  kitty: "kitty",
  tether: "tether",
};

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
  for (const subdir of new Set(Object.values(SOCKET_SUBDIRS))) {
    if (subdir !== "" && subdir !== parent) continue;
    const parsed = parseSocketName(subdir, name);
    if (parsed !== null && (kind === undefined || parsed.kind === kind)) return parsed;
  }
  return kind === undefined
    ? null
    : { kind, protocol: KIND_PROTOCOLS[kind], ownerPid: null, nameUid: null };
}

/** A decimal id without leading zeros that fits in 32 bits, else null. */
function toId(text: string): number | null {
  if (text.length > 10 || (text.length > 1 && text.startsWith("0"))) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) && value <= 0xffffffff ? value : null;
}
