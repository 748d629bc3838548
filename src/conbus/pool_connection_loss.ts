import type { Clock } from "../resilience/clock.ts";
import type { KeyedPool } from "../resilience/pool.ts";
import { retry } from "../resilience/retry.ts";
import type { BridgeConnection } from "./bridge_connection.ts";
import { CONBUS_CONNECT_POLICY } from "./conbus_client.ts";

/** Options for {@link poolConnectionLoss}. */
export interface PoolConnectionLossOptions {
  /** Clock for the reopen retries. */
  clock: Clock;
  /** Aborts the reopen retries (the daemon is stopping). */
  signal: AbortSignal;
}

/**
 * Settles when the bridge connection that `pool` keeps for `key` is lost — the "closed" of the
 * supervisor's view of a pooled connection. Lost: a connection (`current`, or one the pool
 * opens later) dies without the pool having closed it, or the pool cannot open a replacement
 * even after the connect policy's retries (the bridge may refuse for a moment while it frees its
 * one slot from the connection just closed). Not lost: connections the pool closes itself
 * (lifetime, idle timeout, a suspect one after an unanswered request) — it replaces them.
 *
 * @example
 * ```ts
 * const closed = poolConnectionLoss(pool, "10.0.0.5:10001", connection, { clock, signal });
 * return { connection, closed }; // a supervisor's connect result
 * ```
 */
export function poolConnectionLoss(
  pool: KeyedPool<BridgeConnection>,
  key: string,
  current: BridgeConnection,
  options: PoolConnectionLossOptions,
): Promise<unknown> {
  const closedByPool = new Set<BridgeConnection>();
  const offs: (() => void)[] = [];
  let reopening: Promise<boolean> | null = null;
  return new Promise<unknown>((resolve) => {
    const watch = (connection: BridgeConnection) =>
      offs.push(connection.onClose((error) => {
        if (!closedByPool.delete(connection)) resolve(error);
      }));
    watch(current);
    offs.push(pool.events.on("create", (event) => watch(event.connection)));
    offs.push(pool.events.on("destroy", (event) => closedByPool.add(event.connection)));
    offs.push(pool.events.on("create_failed", (event) => {
      reopening ??= reopens(pool, key, options).finally(() => reopening = null);
      void reopening.then((reopened) => {
        if (!reopened) resolve(event.error);
      });
    }));
  }).finally(() => {
    for (const off of offs) off();
  });
}

/** Whether the pool opens its connection for `key` again within the connect policy's retries. */
async function reopens(
  pool: KeyedPool<BridgeConnection>,
  key: string,
  options: PoolConnectionLossOptions,
): Promise<boolean> {
  // The failed creation is still registered while its create_failed event runs (warm() would
  // see it and return): start once it has settled.
  await Promise.resolve();
  try {
    await retry(CONBUS_CONNECT_POLICY, () => pool.warm(key), options);
    return true;
  } catch {
    return false;
  }
}
