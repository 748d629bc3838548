import {
  type CompositorKind,
  type CompositorProtocol,
  COMPOSITORS,
} from "../compositor/compositors.ts";
import { parseDecimalId } from "../platform/decimal_id.ts";

/**
 * The kinds of IPC socket tether discovers, probes and cleans up, one row each: the directory
 * below `$XDG_RUNTIME_DIR` they live in, how their file names read, the protocol that probes
 * them, and the variable naming the session's one. Compositors' rows come from
 * compositors.ts; discovery, `cleanup`, `socket-health` (`--kind`, probing) and the doctor read
 * only this table, so a new kind is one row here, and the compiler names every
 * `Record<SocketKind, …>` or `Record<ProbeProtocol, …>` (the probers) still missing it.
 *
 * @module
 */

/** Which program's socket: every compositor, kitty, and tether's own daemons. */
export type SocketKind = CompositorKind | "kitty" | "tether";

/**
 * How a socket is probed: the protocol's cheapest harmless request, or a bare connect for
 * sockets that speak no request protocol (i3's log-stream socket). Each has a prober in
 * probe.ts.
 */
export type ProbeProtocol = CompositorProtocol | "kitty" | "tether";

/** What a socket's file name says besides its kind. */
export interface SocketName {
  /** How to probe it. */
  protocol: ProbeProtocol;
  /** The PID in the name, if any. */
  ownerPid: number | null;
  /** The uid in the name (sway's), if any. */
  nameUid: number | null;
}

/** One socket kind's row. */
export interface SocketKindRow {
  /** The directory below `$XDG_RUNTIME_DIR` its sockets live in ("" = that dir itself). */
  subdirectory: string;
  /** Parses a file name found in `subdirectory`; null when it is not this kind's. */
  parseName(name: string): SocketName | null;
  /** The protocol when the name does not tell (a path from `--path` or a variable). */
  protocol: ProbeProtocol;
  /** The environment variable that names the session's socket of this kind, if there is one. */
  sessionVariable: string | null;
}

/** kitty: `kitty/kitty-<pid>.sock` (the `--listen-on unix:$XDG_RUNTIME_DIR/kitty/kitty-{kitty_pid}.sock` convention). */
const KITTY = /^kitty-(\d+)\.sock$/;
/**
 * tether's own daemons: `tether/*.sock`, any name as the shell glob matches it (not starting
 * with a dot, dots inside allowed: `conbus.192.168.1.100.sock`). Control characters are
 * refused: a newline would split the path's line in /proc/net/unix, and cleanup must find
 * every listener there.
 */
const TETHER = /^(?!\.)[^/\p{Cc}]+\.sock$/u;

/** A compositor's row, read from its row in compositors.ts. */
function compositorSockets(kind: CompositorKind): SocketKindRow {
  const compositor = COMPOSITORS[kind];
  return {
    subdirectory: compositor.socketDirectory,
    parseName: (name) => compositor.parseSocketName(name),
    protocol: compositor.protocol,
    sessionVariable: compositor.socketVariable,
  };
}

/** Every socket kind, in report order (sway, i3, niri, kitty, tether). */
export const SOCKET_KIND_ROWS: Readonly<Record<SocketKind, SocketKindRow>> = {
  sway: compositorSockets("sway"),
  i3: compositorSockets("i3"),
  niri: compositorSockets("niri"),
  kitty: {
    subdirectory: "kitty",
    parseName(name) {
      const match = KITTY.exec(name);
      const ownerPid = match === null ? null : parseDecimalId(match[1]!);
      return ownerPid === null ? null : { protocol: "kitty", ownerPid, nameUid: null };
    },
    protocol: "kitty",
    sessionVariable: null,
  },
  tether: {
    subdirectory: "tether",
    parseName: (name) =>
      TETHER.test(name) ? { protocol: "tether", ownerPid: null, nameUid: null } : null,
    protocol: "tether",
    sessionVariable: null,
  },
};

/** Every kind in report order (also the valid `--kind` values). */
export const SOCKET_KINDS = Object.keys(SOCKET_KIND_ROWS) as readonly SocketKind[];

/** The directories below `$XDG_RUNTIME_DIR` that hold sockets of some kind, each once. */
export const SOCKET_SUBDIRECTORIES: readonly string[] = [
  ...new Set(SOCKET_KINDS.map((kind) => SOCKET_KIND_ROWS[kind].subdirectory)),
];
