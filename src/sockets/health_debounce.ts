import type { ErrorJson } from "../resilience/errors.ts";
import type { HealthRow, HealthStatus } from "./health.ts";
import type { SocketKind } from "./socket_kinds.ts";

/** A socket as a bar shows it: its debounced status and what it last did well and badly. */
export interface DebouncedSocket {
  /** Which program's socket. */
  kind: SocketKind;
  /** Its path. */
  socket_path: string;
  /**
   * The status shown: a probe that answered (`healthy`, `degraded`) shows at once; a failure
   * shows only after `failAfter` consecutive failed probes — until then the last shown status
   * stays (`unknown` for a socket that has not answered yet).
   */
  status: HealthStatus | "unknown";
  /** Consecutive failed probes (0 after an answer). */
  failures: number;
  /** Latency of the last probe that answered, ms, kept while it fails; null if none yet. */
  latency_ms: number | null;
  /** When it last answered (ISO 8601), or null. */
  last_good_at: string | null;
  /** The most recent problem, kept after recovery, or null. */
  last_error: ErrorJson | null;
}

/**
 * Folds one round of rows into the debounced state (pure): a socket counts as down only after
 * `failAfter` consecutive failed probes, so one lost probe does not flash a bar red, and the
 * last good latency is kept beside the last error. Sockets missing from the round are dropped
 * (discovery no longer sees them).
 *
 * @example
 * ```ts
 * let state = new Map();
 * state = debounceHealth(state, rows, 3); // a stale socket: status "unknown", failures 1
 * ```
 */
export function debounceHealth(
  previous: ReadonlyMap<string, DebouncedSocket>,
  rows: readonly HealthRow[],
  failAfter: number,
): Map<string, DebouncedSocket> {
  const next = new Map<string, DebouncedSocket>();
  for (const row of rows) {
    const before = previous.get(row.socket_path);
    const answered = row.status === "healthy" || row.status === "degraded";
    if (answered) {
      next.set(row.socket_path, {
        kind: row.kind,
        socket_path: row.socket_path,
        status: row.status,
        failures: 0,
        latency_ms: row.latency_ms,
        last_good_at: row.ts,
        last_error: row.error ?? before?.last_error ?? null,
      });
      continue;
    }
    const failures = (before?.failures ?? 0) + 1;
    next.set(row.socket_path, {
      kind: row.kind,
      socket_path: row.socket_path,
      status: failures >= failAfter ? row.status : before?.status ?? "unknown",
      failures,
      latency_ms: before?.latency_ms ?? null,
      last_good_at: before?.last_good_at ?? null,
      last_error: row.error,
    });
  }
  return next;
}

/** Whether a shown status means the socket is down. */
export function isDown(status: DebouncedSocket["status"]): boolean {
  return status === "stale" || status === "missing" || status === "unresponsive";
}
