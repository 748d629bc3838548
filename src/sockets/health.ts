import type { ErrorCategory, ErrorJson } from "../resilience/errors.ts";
import { isoTimestamp, roundMs } from "../platform/time_format.ts";
import type { ProbeOutcome } from "./probe.ts";
import type { SocketEntry, SocketKind } from "./socket_entry.ts";

/**
 * A socket's health: answered / answered but its upstream is down (tether daemons) / alive
 * but silent / nothing listens / no such file.
 */
export type HealthStatus = "healthy" | "degraded" | "unresponsive" | "stale" | "missing";

/** One row of `tether socket-health` (JSON field names are the wire names). */
export interface HealthRow {
  /** Which program's socket. */
  kind: SocketKind;
  /** The path probed. */
  socket_path: string;
  /** PID from the file name (tether daemons: from their status reply). */
  owner_pid: number | null;
  /** The verdict. */
  status: HealthStatus;
  /** Round trip of the probe when it answered, else null. */
  latency_ms: number | null;
  /** When the probe finished (ISO 8601 with offset). */
  ts: string;
  /** What went wrong, or null when healthy. */
  error: ErrorJson | null;
  /** What answered, e.g. `sway 1.7`, or null when nothing did. */
  peer: string | null;
  /** Whether the session's environment names this socket. */
  current: boolean;
  /** tether daemons only: reconnections since start. */
  reconnection_count?: number | null;
  /** tether daemons only: time since start, ms. */
  uptime_ms?: number | null;
  /** tether daemons only: their upstream connection state (not `connected` = `degraded`). */
  connection_status?: string | null;
  /** tether daemons only: their upstream's latency as they measured it (ms). */
  connection_latency_ms?: number | null;
}

/** Whether an entry needs a probe at all (a missing path or a non-socket file does not). */
export function needsProbe(entry: SocketEntry): boolean {
  return entry.file !== null && (entry.file.type === "socket" || entry.file.type === "symlink");
}

/**
 * Turns what discovery and the probe found into a row. Pure.
 * - no file -> `missing`;
 * - a regular file or directory named like a socket -> `stale` (nothing can listen there);
 * - answered -> `healthy` (a symlink is followed by clients, so its target's health counts);
 *   a tether daemon that answered but whose upstream is not `connected` -> `degraded`;
 * - connection refused -> `stale`, unless a process still listens on that file (inodes of the
 *   files listeners are bound to, in any network namespace, passed as `listening`): then its
 *   backlog is full -> `unresponsive`;
 * - ENOENT during the probe -> `missing`;
 * - anything else (timeout, full backlog, EACCES, garbage) -> `unresponsive`: something is
 *   there, but it does not serve us.
 */
export function classifyHealth(
  entry: SocketEntry,
  outcome: ProbeOutcome | null,
  validatedAt: Date,
  listening: ReadonlySet<number> | null = null,
): HealthRow {
  const row: HealthRow = {
    kind: entry.kind,
    socket_path: entry.path,
    owner_pid: entry.ownerPid,
    status: "missing",
    latency_ms: null,
    ts: isoTimestamp(validatedAt),
    error: null,
    peer: null,
    current: entry.current,
  };
  if (entry.kind === "tether") {
    row.reconnection_count = null;
    row.uptime_ms = null;
  }
  if (entry.file === null) {
    return {
      ...row,
      status: "missing",
      error: problem("not_configured", "socket file does not exist"),
    };
  }
  if (!needsProbe(entry)) {
    return {
      ...row,
      status: "stale",
      error: problem("refused", `a ${entry.file.type}, not a socket`),
    };
  }
  if (outcome === null) {
    return { ...row, status: "unresponsive", error: problem("timeout", "not probed") };
  }
  const via = entry.file.type === "symlink" ? " (through a symlink)" : "";
  if (outcome.answered) {
    const daemon = outcome.answer.daemon;
    const upstreamDown = daemon !== undefined && daemon.connection.status !== "connected";
    return {
      ...row,
      status: upstreamDown ? "degraded" : "healthy",
      latency_ms: roundMs(outcome.latencyMs),
      error: upstreamDown
        ? problem(
          "closed",
          `its upstream is ${daemon.connection.status}` +
            (daemon.connection.error ? `: ${daemon.connection.error.message}` : ""),
        )
        : null,
      peer: outcome.answer.detail === undefined ? null : outcome.answer.detail + via,
      owner_pid: entry.ownerPid ?? daemon?.pid ?? null,
      ...(daemon
        ? {
          reconnection_count: daemon.reconnection_count,
          uptime_ms: daemon.uptime_ms,
          connection_status: daemon.connection.status,
          connection_latency_ms: daemon.connection.latency_ms,
        }
        : {}),
    };
  }
  if (
    outcome.category === "refused" && entry.file !== null && listening?.has(entry.file.ino)
  ) {
    // A full backlog (hung peer) looks like "refused" to the compiled binary's runtime.
    return {
      ...row,
      status: "unresponsive",
      error: problem(
        "busy",
        "refuses connections although a process listens on it: backlog full (peer hung?)" + via,
      ),
    };
  }
  const status = outcome.category === "refused"
    ? "stale"
    : outcome.category === "not_configured"
    ? "missing"
    : "unresponsive";
  return { ...row, status, error: problem(outcome.category, outcome.error + via) };
}

/** Whether every row is healthy (exit code 0). */
export function allHealthy(rows: readonly HealthRow[]): boolean {
  return rows.every((row) => row.status === "healthy");
}

function problem(category: ErrorCategory, message: string): ErrorJson {
  return { category, message };
}
