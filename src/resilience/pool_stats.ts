/**
 * What a `KeyedPool` (pool.ts) reports about itself: counters since creation (kept by the pool,
 * bumped through {@link countDisposal}) and current counts read off its bookkeeping.
 *
 * @module
 */
import type { DisposeReason, KeyState } from "./pool_decisions.ts";

/** Counters since the pool was created. */
export interface PoolCounters {
  /** Connections opened. */
  created: number;
  /** Acquires served by an idle connection. */
  reused: number;
  /** Idle connections closed to make room at `maxTotal` (LRU). */
  evicted: number;
  /** Connections closed for idle timeout or max lifetime. */
  expired: number;
  /** Connections discarded as broken (release) or not alive (reuse check). */
  discarded: number;
  /** `create` failures. */
  failed: number;
  /** Connections closed, for any reason. */
  destroyed: number;
}

/** Counters since creation plus current counts. */
export interface PoolStats extends PoolCounters {
  /** Currently idle. */
  idle: number;
  /** Currently leased. */
  leased: number;
  /** Creations in flight. */
  creating: number;
  /** Acquires waiting for capacity (not those waiting for a creation in flight). */
  waiting: number;
}

/** Current counts of one key. */
export interface PoolKeyStats {
  /** Idle connections. */
  idle: number;
  /** Leased connections. */
  leased: number;
  /** Whether a creation is in flight. */
  creating: boolean;
  /** Whether `KeyedPool.warm` keeps `minOpenPerKey` open for it. */
  warm: boolean;
}

/** All counters at 0. */
export function zeroCounters(): PoolCounters {
  return { created: 0, reused: 0, evicted: 0, expired: 0, discarded: 0, failed: 0, destroyed: 0 };
}

/** Counts a closed connection: `destroyed`, plus `expired` or `evicted` by its reason. */
export function countDisposal(counters: PoolCounters, reason: DisposeReason): void {
  counters.destroyed++;
  if (reason === "idle_timeout" || reason === "max_lifetime") counters.expired++;
  if (reason === "evicted") counters.evicted++;
}

/**
 * The pool's stats: `counters` plus what `states` (every key's bookkeeping, retired ones
 * included) hold now.
 */
export function poolStats(
  counters: PoolCounters,
  states: Iterable<KeyState<unknown>>,
  waiting: number,
): PoolStats {
  let idle = 0;
  let leased = 0;
  let creating = 0;
  for (const state of states) {
    idle += state.idle.length;
    leased += state.leased.size;
    if (state.creating !== null) creating++;
  }
  return { ...counters, idle, leased, creating, waiting };
}

/** One key's current counts (all zero for a key the pool does not know). */
export function keyStats(state: KeyState<unknown> | undefined): PoolKeyStats {
  return {
    idle: state?.idle.length ?? 0,
    leased: state?.leased.size ?? 0,
    creating: (state?.creating ?? null) !== null,
    warm: state?.warm ?? false,
  };
}
