import type { PoolEntry } from "./pool_decisions.ts";

/** A leased connection; give it back with `release` exactly once (extra calls are ignored). */
export interface Lease<C> {
  /** The pooled connection itself (a socket, a bridge client), as `create` made it. */
  readonly connection: C;
  /** Its key. */
  readonly key: string;
  /** Whether it was idle in the pool before (false = created for this acquire). */
  readonly reused: boolean;
  /** When it was created (clock ms). */
  readonly createdAt: number;
  /**
   * Returns it to the pool. `broken: true` discards it (it failed in use); so does an expired
   * lifetime or a closing pool.
   */
  release(options?: { broken?: boolean }): void;
}

/** Options for `KeyedPool.acquire`. */
export interface AcquireOptions {
  /** Stops waiting (rejects with its reason); a creation in flight continues for others. */
  signal?: AbortSignal;
}

/** Options for `KeyedPool.use`. */
export interface UseOptions extends AcquireOptions {
  /**
   * By default any error thrown by `fn` discards the connection: after a failure mid-exchange
   * the stream may hold half a reply, so reusing it is unsafe. Return true for errors known to
   * leave the stream clean (e.g. a well-formed error reply) to keep it.
   */
  keepOnError?: (error: unknown) => boolean;
}

/**
 * The lease of `entry`: `reused` when it was leased before; `release` reaches `onRelease` once
 * (later calls are ignored), with whether the caller found the connection broken.
 */
export function leaseOf<C>(
  entry: Pick<PoolEntry<C>, "connection" | "key" | "createdAt" | "used">,
  onRelease: (broken: boolean) => void,
): Lease<C> {
  let released = false;
  return {
    connection: entry.connection,
    key: entry.key,
    reused: entry.used,
    createdAt: entry.createdAt,
    release: (options = {}) => {
      if (released) return;
      released = true;
      onRelease(options.broken === true);
    },
  };
}
