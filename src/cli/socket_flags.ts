import { ConfigError } from "../platform/config_error.ts";
import { parseDurationMs } from "../platform/duration.ts";
import { SOCKET_KINDS, type SocketKind } from "../sockets/socket_kinds.ts";

/** Parses `--timeout <duration>` (plain numbers are seconds; 0 < t <= 60 s) into milliseconds. */
export function parseTimeoutSeconds(value: string): number {
  return parseDurationMs(value, { name: "--timeout", unit: "s", maxMs: 60_000 });
}

/** Parses `--interval <duration>` (plain numbers are seconds; 0 < t <= 1 day) into milliseconds. */
export function parseIntervalSeconds(value: string): number {
  return parseDurationMs(value, { name: "--interval", unit: "s", maxMs: 86_400_000 });
}

/** Parses `--kind` (one of sway, i3, niri, kitty, tether). */
export function parseKind(value: string): SocketKind {
  if ((SOCKET_KINDS as readonly string[]).includes(value)) return value as SocketKind;
  throw new ConfigError(`--kind must be one of ${SOCKET_KINDS.join(", ")}, got "${value}"`);
}
