/**
 * Opens, closes and checks connections for a `KeyedPool` (pool.ts). Injected, so the pool never
 * knows what a connection is (a kitty socket, the Conbus TCP stream, a fake in tests).
 */
export interface Connector<C> {
  /**
   * Opens a connection for `key`. Throw a `ConnectionError` on failure. `signal` aborts
   * when the pool closes.
   */
  create(key: string, signal: AbortSignal): Promise<C>;
  /** Closes a connection; errors are ignored (the pool forgets the connection either way). */
  destroy(connection: C, key: string): Promise<void> | void;
  /**
   * Optional aliveness check run before an idle connection is reused (e.g. "did the peer close
   * while we idled?"). `false` or a throw/rejection discards it and the acquire goes on with
   * another or a new connection.
   */
  isAlive?(connection: C, key: string): Promise<boolean> | boolean;
}

/**
 * Runs the connector's aliveness check, if it has one (none = alive); a throw or a rejection
 * counts as "not alive" (never an unhandled rejection). Synchronous when the check is: a pooled
 * request's hot path then takes no extra promise turn.
 *
 * @example
 * ```ts
 * const alive = checkAlive(connector, socket, "4121");
 * if (alive instanceof Promise ? await alive : alive) reuse(socket);
 * ```
 */
export function checkAlive<C>(
  connector: Connector<C>,
  connection: C,
  key: string,
): Promise<boolean> | boolean {
  if (connector.isAlive === undefined) return true;
  try {
    const checked = connector.isAlive(connection, key);
    return typeof checked === "boolean" ? checked : checked.then((alive) => alive, () => false);
  } catch {
    return false;
  }
}
