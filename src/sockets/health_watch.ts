import type { ErrorJson } from "../resilience/errors.ts";
import type { HealthRow, HealthStatus } from "./health.ts";
import type { SocketKind } from "./socket_kinds.ts";

/** A `--watch` event (JSON lines when stdout is not a terminal). */
export type HealthWatchEvent =
  | {
    event: "status_changed";
    ts: string;
    kind: SocketKind;
    socket_path: string;
    from: HealthStatus | null;
    to: HealthStatus;
    error: ErrorJson | null;
  }
  | ({ event: "health_update" } & HealthRow);

/** What `--watch` remembers about a socket between rounds. */
export interface WatchedSocket {
  /** Its kind. */
  kind: SocketKind;
  /** Its last status. */
  status: HealthStatus;
}

/**
 * Folds one round of rows into the previous state (pure): a `status_changed` for every socket
 * whose status differs (`from: null` the first time it is seen, `to: "missing"` when it
 * vanished from discovery), then one `health_update` per row. Returns the events and the new
 * state. Each event's `ts` is its row's probe time (`ts`, the round's time, for a socket that
 * vanished).
 */
export function diffHealth(
  previous: ReadonlyMap<string, WatchedSocket>,
  rows: readonly HealthRow[],
  ts: string,
): { events: HealthWatchEvent[]; state: Map<string, WatchedSocket> } {
  const events: HealthWatchEvent[] = [];
  const state = new Map<string, WatchedSocket>();
  for (const row of rows) {
    state.set(row.socket_path, { kind: row.kind, status: row.status });
    const before = previous.get(row.socket_path)?.status ?? null;
    if (before !== row.status) {
      events.push({
        event: "status_changed",
        ts: row.ts,
        kind: row.kind,
        socket_path: row.socket_path,
        from: before,
        to: row.status,
        error: row.error,
      });
    }
  }
  for (const [path, before] of previous) {
    if (state.has(path) || before.status === "missing") continue;
    events.push({
      event: "status_changed",
      ts,
      kind: before.kind,
      socket_path: path,
      from: before.status,
      to: "missing",
      error: { category: "not_configured", message: "socket file disappeared" },
    });
  }
  for (const row of rows) events.push({ event: "health_update", ...row });
  return { events, state };
}
