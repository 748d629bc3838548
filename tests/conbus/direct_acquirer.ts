import { type BridgeEndpoint, endpointLabel } from "../../src/conbus/bridge_connection.ts";
import { createBridgePool } from "../../src/conbus/bridge_pool.ts";
import type { AcquireConnection } from "../../src/conbus/conbus_client.ts";

/**
 * The connection `conbus send --direct` reads through: a bridge pool of its own, closed once
 * the lease comes back — a fresh connection per `sendTelegrams`, on the production path.
 */
export function directAcquirer(endpoint: BridgeEndpoint): AcquireConnection {
  return async (signal) => {
    const pool = createBridgePool(endpoint);
    try {
      const lease = await pool.acquire(endpointLabel(endpoint), signal ? { signal } : {});
      return {
        ...lease,
        release: (options) => {
          lease.release(options);
          void pool.close();
        },
      };
    } catch (error) {
      await pool.close();
      throw error;
    }
  };
}
