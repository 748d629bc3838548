import type { SupervisorSnapshot, SupervisorState } from "./supervisor.ts";

/** JSON form of a {@link SupervisorSnapshot}: snake_case, ISO times, as daemons report it. */
export interface SupervisorStatusJson {
  /** See {@link SupervisorSnapshot}. */
  name: string;
  /** The state. */
  status: SupervisorState;
  /** ISO 8601. */
  since: string;
  /** Reason or null. */
  reason: string | null;
  /** Last ping latency, ms, or null. */
  latency_ms: number | null;
  /** ISO 8601 or null. */
  last_ping: string | null;
  /** Successful reconnects. */
  reconnection_count: number;
  /** Whole seconds the current connection has been up. */
  uptime_seconds: number;
  /** Current reconnect attempt (0 = none). */
  attempt: number;
  /** 0 = unlimited. */
  max_attempts: number;
  /** ms until the next attempt, or null. */
  next_retry_ms: number | null;
  /** Last error or null. */
  last_error: { time: string; category: string; message: string } | null;
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
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    name: snapshot.name,
    status: snapshot.state,
    since: new Date(snapshot.since).toISOString(),
    reason: snapshot.reason,
    latency_ms: snapshot.latencyMs === null ? null : Math.round(snapshot.latencyMs * 1000) / 1000,
    last_ping: iso(snapshot.lastPingAt),
    reconnection_count: snapshot.reconnectionCount,
    uptime_seconds: Math.floor(snapshot.uptimeMs / 1000),
    attempt: snapshot.attempt,
    max_attempts: snapshot.maxAttempts,
    next_retry_ms: snapshot.nextRetryMs,
    last_error: snapshot.lastError === null ? null : {
      time: new Date(snapshot.lastError.at).toISOString(),
      category: snapshot.lastError.category,
      message: snapshot.lastError.message,
    },
  };
}
