import type { FileFacts } from "./file_facts.ts";
import type { ProbeProtocol, SocketKind } from "./socket_kinds.ts";

/** One discovered socket path. */
export interface SocketEntry {
  /** Which program's socket it is (by name). */
  kind: SocketKind;
  /** How to probe it. */
  protocol: ProbeProtocol;
  /** Absolute path. */
  path: string;
  /** The PID in the file name (sway, i3, niri, kitty); null for tether's own sockets. */
  ownerPid: number | null;
  /** The uid in the file name (sway only: `sway-ipc.<uid>.<pid>.sock`), else null. */
  nameUid: number | null;
  /** Whether `$SWAYSOCK`, `$I3SOCK` or `$NIRI_SOCKET` names this path (the session in use). */
  current: boolean;
  /** Whether the path lies directly in a scanned directory below `$XDG_RUNTIME_DIR`. */
  inRuntimeDir: boolean;
  /** `lstat` facts, or null when the path does not exist. */
  file: FileFacts | null;
}
