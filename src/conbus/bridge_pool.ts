import type { Clock } from "../resilience/clock.ts";
import { KeyedPool } from "../resilience/pool.ts";
import {
  type BridgeConnection,
  type BridgeEndpoint,
  connectBridge,
  type ConnectOptions,
  endpointLabel,
} from "./bridge_connection.ts";
import type { AcquireConnection } from "./conbus_client.ts";

/** Six hours: xp's planned idle timeout and max lifetime for the bridge connection. */
export const SIX_HOURS_MS = 6 * 60 * 60 * 1000;

/** Opens bridge connections (injectable: tests pass a fake). */
export type BridgeConnect = (
  endpoint: BridgeEndpoint,
  options: ConnectOptions,
) => Promise<BridgeConnection>;

/** Options for {@link createBridgePool}. */
export interface BridgePoolOptions {
  /** Connect timeout per attempt. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Keep one connection open at all times (serve: min idle 1). Default false. */
  keepOpen?: boolean;
  /** Background collector period (unref'd). Default 60000 ms. */
  reapIntervalMs?: number;
  /** How long an acquire waits for the one connection. Default 30000 ms. */
  acquireTimeoutMs?: number;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default {@link connectBridge}. */
  connect?: BridgeConnect;
}

/**
 * The pool for one bridge, on the shared {@link KeyedPool}: the bridge accepts one TCP client,
 * so max 1; min idle 1 when `keepOpen` (connected at start and after each disposal); idle
 * timeout 6 h and max lifetime 6 h (a leased connection is never closed mid-request, only
 * replaced between requests); a collector on an unref'd timer; and an aliveness check before
 * reuse that reads the connection's background-reader state (detects a peer that closed).
 *
 * @example
 * ```ts
 * const pool = createBridgePool({ host: "192.168.1.100", port: 10001 });
 * const lease = await pool.acquire("192.168.1.100:10001");
 * ```
 */
export function createBridgePool(
  endpoint: BridgeEndpoint,
  options: BridgePoolOptions = {},
): KeyedPool<BridgeConnection> {
  const connect = options.connect ?? connectBridge;
  return new KeyedPool<BridgeConnection>({
    connector: {
      create: (_key, signal) =>
        connect(endpoint, {
          timeoutMs: options.connectTimeoutMs ?? 2000,
          signal,
          clock: options.clock,
        }),
      destroy: (connection) => connection.close(),
      isAlive: (connection) => connection.alive,
    },
    maxPerKey: 1,
    maxTotal: 1,
    minOpenPerKey: options.keepOpen ? 1 : 0,
    idleTimeoutMs: SIX_HOURS_MS,
    maxLifetimeMs: SIX_HOURS_MS,
    reapIntervalMs: options.reapIntervalMs ?? 60_000,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 30_000,
    clock: options.clock,
  });
}

const NO_OPTIONS = {};

/** {@link AcquireConnection} through a bridge pool. */
export function poolAcquirer(
  pool: KeyedPool<BridgeConnection>,
  endpoint: BridgeEndpoint,
): AcquireConnection {
  const key = endpointLabel(endpoint);
  // The pool checks aliveness before every hand-out, including the first one of a connection
  // it opened in the background (min idle), so a bridge that closed while idle is replaced.
  // acquireNow: an idle connection is leased without a promise turn.
  return (signal) => pool.acquireNow(key, signal === undefined ? NO_OPTIONS : { signal });
}
