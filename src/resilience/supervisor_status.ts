import { isoTimestamp, roundMs } from "../platform/time_format.ts";
import type { ErrorCategory, ErrorJson } from "./errors.ts";
import { STOPPED_REASON, type SupervisorSnapshot, type SupervisorState } from "./supervisor.ts";

/**
 * JSON form of a {@link SupervisorSnapshot} in tether's JSON vocabulary, as daemons report it:
 * snake_case, ISO 8601 times with offset, durations in ms rounded to 0.01, null for "none".
 */
export interface SupervisorStatusJson {
  /** See {@link SupervisorSnapshot}. */
  name: string;
  /** The state. */
  status: SupervisorState;
  /** When the state last changed (ISO 8601). */
  since_at: string;
  /** Why the connection is not up (its problem), or null when it is connected or was stopped. */
  error: ErrorJson | null;
  /** Last ping latency, ms, or null. */
  latency_ms: number | null;
  /** When the last health ping answered (ISO 8601), or null. */
  last_ping_at: string | null;
  /** Successful reconnects. */
  reconnection_count: number;
  /** How long the current connection has been up, ms (0 when it is not). */
  uptime_ms: number;
  /** Current reconnect attempt (0 = none). */
  attempt: number;
  /** Attempts before giving up, or null for unlimited. */
  max_attempts: number | null;
  /** ms until the next attempt, or null. */
  next_retry_ms: number | null;
  /** The latest error, kept after recovery, or null. */
  last_error: { ts: string; category: ErrorCategory; message: string } | null;
}

/**
 * Converts a snapshot to its JSON form.
 *
 * @example
 * ```ts
 * const data = { daemon: "focus", connection: supervisorStatusToJson(supervisor.snapshot()) };
 * ```
 */
export function supervisorStatusToJson(snapshot: SupervisorSnapshot): SupervisorStatusJson {
  const up = snapshot.state === "connected";
  return {
    name: snapshot.name,
    status: snapshot.state,
    since_at: isoTimestamp(snapshot.since),
    error: up || snapshot.reason === null || snapshot.reason === STOPPED_REASON ? null : {
      category: snapshot.lastError?.category ?? "closed",
      message: snapshot.reason,
    },
    latency_ms: snapshot.latencyMs === null ? null : roundMs(snapshot.latencyMs),
    last_ping_at: snapshot.lastPingAt === null ? null : isoTimestamp(snapshot.lastPingAt),
    reconnection_count: snapshot.reconnectionCount,
    uptime_ms: Math.round(snapshot.uptimeMs),
    attempt: snapshot.attempt,
    max_attempts: snapshot.maxAttempts === 0 ? null : snapshot.maxAttempts,
    next_retry_ms: snapshot.nextRetryMs === null ? null : roundMs(snapshot.nextRetryMs),
    last_error: snapshot.lastError === null ? null : {
      ts: isoTimestamp(snapshot.lastError.at),
      category: snapshot.lastError.category,
      message: snapshot.lastError.message,
    },
  };
}
