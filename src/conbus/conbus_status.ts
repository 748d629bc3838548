import type { DaemonConnectionStatus, DaemonStatus } from "../resilience/daemon_status.ts";
import type { PoolStats } from "../resilience/pool_stats.ts";
import type { SupervisorStatusJson } from "../resilience/supervisor_status.ts";

/**
 * `tether conbus serve`'s `status` reply: the {@link DaemonStatus} every daemon sends, for the
 * bridge, plus its request and bus counters.
 */
export interface ConbusStatus extends DaemonStatus {
  /** Always `conbus`. */
  daemon: "conbus";
  /** The bridge it serves, `host:port` (`[v6]:port`). */
  endpoint: string;
  /** The bridge connection; `latency_ms` is that of the bridge's last reply to a request. */
  connection: DaemonConnectionStatus & SupervisorStatusJson;
  /** The bridge pool's counters. */
  pool: PoolStats;
  /** `send` requests answered since start. */
  requests_served: number;
  /** `send` requests waiting or running now. */
  queue_length: number;
  /** Bus telegrams that arrived while no request ran. */
  idle_telegrams: number;
  /** Of those, how many were counted but not printed (flood). */
  idle_telegrams_not_shown: number;
}
