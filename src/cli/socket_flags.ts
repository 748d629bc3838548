import { ConfigError } from "../platform/config_error.ts";
import { SOCKET_KINDS, type SocketKind } from "../sockets/socket_entry.ts";

/** Parses `--timeout <seconds>` (0 < s <= 60, fractions allowed) into milliseconds. */
export function parseTimeoutSeconds(value: string): number {
  return parseSeconds("--timeout", value, 60) * 1000;
}

/** Parses `--interval <seconds>` (0 < s <= 86400) into milliseconds. */
export function parseIntervalSeconds(value: string): number {
  return parseSeconds("--interval", value, 86_400) * 1000;
}

/** Parses `--kind` (one of sway, i3, niri, kitty, tether). */
export function parseKind(value: string): SocketKind {
  if ((SOCKET_KINDS as readonly string[]).includes(value)) return value as SocketKind;
  throw new ConfigError(`--kind must be one of ${SOCKET_KINDS.join(", ")}, got "${value}"`);
}

function parseSeconds(flag: string, value: string, max: number): number {
  const seconds = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > max) {
    throw new ConfigError(
      `${flag} must be a number of seconds greater than 0 and at most ${max}, got "${value}"`,
    );
  }
  return seconds;
}
