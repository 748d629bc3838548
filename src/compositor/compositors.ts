import { parseDecimalId } from "../platform/decimal_id.ts";
import { proseList } from "../platform/prose_list.ts";

/**
 * The compositors tether follows, one row each: the variable that names the session's socket,
 * where discovery finds sockets and how their names read, and which protocol probes them. Every
 * consumer (socket discovery for `tether focus`, socket-health and cleanup, `--compositor`, the
 * doctor) reads this table, so adding a compositor is one row here plus its folder; the
 * compiler then names every other place that needs it (`Record<CompositorKind, …>`), first of
 * all its focus source in focus_sources.ts (README "Layout").
 *
 * @module
 */

/** Which compositor: the keys of {@link COMPOSITORS}. */
export type CompositorKind = "niri" | "sway" | "i3";

/**
 * How a compositor's sockets are probed: the protocol's cheapest harmless request (sway and i3
 * share i3's IPC), or a bare connect for a socket that speaks no request protocol (i3's log
 * stream).
 */
export type CompositorProtocol = "niri" | "i3ipc" | "connect";

/** What one of a compositor's socket file names says. */
export interface CompositorSocketName {
  /** How to probe it: the row's `protocol` for its IPC socket. */
  protocol: CompositorProtocol;
  /** The compositor's PID, from the name. */
  ownerPid: number;
  /** The uid in the name (sway's), else null. */
  nameUid: number | null;
}

/** One compositor's row. */
export interface Compositor {
  /** Its name in messages ("niri, sway or i3"). */
  displayName: string;
  /** The environment variable the compositor sets to its IPC socket's path. */
  socketVariable: string;
  /** The directory below `$XDG_RUNTIME_DIR` it creates its sockets in ("" = that dir itself). */
  socketDirectory: string;
  /** The protocol of its IPC socket (the one `tether focus` connects to). */
  protocol: CompositorProtocol;
  /** Parses a file name found in `socketDirectory`; null when it is not one of its sockets. */
  parseSocketName(name: string): CompositorSocketName | null;
}

/** niri: `niri.<WAYLAND_DISPLAY>.<pid>.sock` (niri src/ipc/server.rs `IpcServer::start`). */
const NIRI = /^niri\.(.+)\.(\d+)\.sock$/;
/** sway: `sway-ipc.<uid>.<pid>.sock` (sway/ipc-server.c `ipc_user_sockaddr`). */
const SWAY = /^sway-ipc\.(\d+)\.(\d+)\.sock$/;
/** i3: `i3/ipc-socket.<pid>` and `i3/log-stream-socket.<pid>` (libi3 get_process_filename). */
const I3 = /^(ipc|log-stream)-socket\.(\d+)$/;

/**
 * Every compositor, in the order `--compositor auto` tries their variables (sway also sets
 * `$I3SOCK`, to its own socket: `$SWAYSOCK` comes first, so `auto` calls it sway).
 */
export const COMPOSITORS: Readonly<Record<CompositorKind, Compositor>> = {
  niri: {
    displayName: "niri",
    socketVariable: "NIRI_SOCKET",
    socketDirectory: "",
    protocol: "niri",
    parseSocketName(name) {
      const match = NIRI.exec(name);
      const ownerPid = match === null ? null : parseDecimalId(match[2]!);
      return ownerPid === null ? null : { protocol: "niri", ownerPid, nameUid: null };
    },
  },
  sway: {
    displayName: "sway",
    socketVariable: "SWAYSOCK",
    socketDirectory: "",
    protocol: "i3ipc",
    parseSocketName(name) {
      const match = SWAY.exec(name);
      if (match === null) return null;
      const nameUid = parseDecimalId(match[1]!);
      const ownerPid = parseDecimalId(match[2]!);
      if (nameUid === null || ownerPid === null) return null;
      return { protocol: "i3ipc", ownerPid, nameUid };
    },
  },
  i3: {
    displayName: "i3",
    socketVariable: "I3SOCK",
    socketDirectory: "i3",
    protocol: "i3ipc",
    parseSocketName(name) {
      const match = I3.exec(name);
      const ownerPid = match === null ? null : parseDecimalId(match[2]!);
      if (ownerPid === null) return null;
      return { protocol: match![1] === "ipc" ? "i3ipc" : "connect", ownerPid, nameUid: null };
    },
  },
};

/** Every compositor kind, in the `auto` order of {@link COMPOSITORS}. */
export const COMPOSITOR_KINDS = Object.keys(COMPOSITORS) as readonly CompositorKind[];

/**
 * Whether `name` is a compositor's kind (a row of {@link COMPOSITORS}), e.g. a socket kind.
 *
 * @example
 * ```ts
 * isCompositorKind("sway"); // true
 * isCompositorKind("kitty"); // false
 * ```
 */
export function isCompositorKind(name: string): name is CompositorKind {
  return Object.hasOwn(COMPOSITORS, name);
}

/**
 * The compositors' names as a list for messages.
 *
 * @example
 * ```ts
 * compositorNames("or"); // "niri, sway or i3"
 * ```
 */
export function compositorNames(conjunction: "and" | "or"): string {
  return proseList(COMPOSITOR_KINDS.map((kind) => COMPOSITORS[kind].displayName), conjunction);
}
