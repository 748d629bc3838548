import { ConnectionError, type ErrorJson, isErrorCategory } from "./errors.ts";

/**
 * What every tether daemon's `status` reply (control socket) starts with — `tether focus` and
 * `tether conbus serve` alike; each adds fields of its own beside these. `tether focus status`,
 * socket-health's daemon rows and doctor read a reply with {@link parseDaemonStatus}.
 */
export interface DaemonStatus {
  /** Which daemon answers: `focus` or `conbus`. */
  daemon: string;
  /** Its PID. */
  pid: number;
  /** Time since it started, ms. */
  uptime_ms: number;
  /** How often it reconnected its upstream (compositor, bridge) since it started. */
  reconnection_count: number;
  /** Its upstream connection, as its supervisor reports it (plus fields of the daemon's own). */
  connection: DaemonConnectionStatus;
}

/** A daemon's upstream connection in its {@link DaemonStatus}. */
export interface DaemonConnectionStatus {
  /** `connecting`, `connected`, `reconnecting` or `disconnected`. */
  status: string;
  /**
   * The upstream's latency as the daemon measured it (focus: the compositor's last health
   * ping; conbus: the bridge's last reply), ms, or null (none yet; absent reads as null).
   */
  latency_ms: number | null;
  /** Why it is not connected, or null (absent reads as null). */
  error: ErrorJson | null;
}

/**
 * Reads a `status` reply: the value itself (the daemon's own fields kept) once the
 * {@link DaemonStatus} fields are there with their types; an absent `latency_ms` or `error`
 * reads as null. Anything else — a daemon from another tether version, or not a tether daemon
 * — is a `protocol` {@link ConnectionError} naming the first field that is wrong.
 *
 * @example
 * ```ts
 * const status = parseDaemonStatus(await requestControl(path, "status"));
 * status.connection.status; // "connected"
 * ```
 */
export function parseDaemonStatus(value: unknown): DaemonStatus {
  const record = objectOr(value, "the reply");
  const connection = objectOr(record.connection, "connection");
  if (typeof record.daemon !== "string") throw wrong("daemon", "a string");
  for (const field of ["pid", "uptime_ms", "reconnection_count"] as const) {
    if (typeof record[field] !== "number") throw wrong(field, "a number");
  }
  if (typeof connection.status !== "string") throw wrong("connection.status", "a string");
  const latencyMs = connection.latency_ms ?? null;
  if (latencyMs !== null && typeof latencyMs !== "number") {
    throw wrong("connection.latency_ms", "a number or null");
  }
  const error = connection.error ?? null;
  if (error !== null && !isErrorJson(error)) {
    throw wrong("connection.error", "null or {category, message}");
  }
  return {
    ...record,
    connection: { ...connection, latency_ms: latencyMs, error },
  } as unknown as DaemonStatus;
}

function wrong(field: string, expected: string): ConnectionError {
  return new ConnectionError("protocol", `status reply: ${field} must be ${expected}`, {
    recoverable: false,
  });
}

function objectOr(candidate: unknown, field: string): Record<string, unknown> {
  if (typeof candidate === "object" && candidate !== null && !Array.isArray(candidate)) {
    return candidate as Record<string, unknown>;
  }
  throw wrong(field, "an object");
}

function isErrorJson(value: unknown): value is ErrorJson {
  if (typeof value !== "object" || value === null) return false;
  const { category, message } = value as Record<string, unknown>;
  return isErrorCategory(category) && typeof message === "string";
}
