/**
 * The `KeyedPool`'s decisions as pure functions over its bookkeeping: limits and their
 * defaults, cap accounting, what an acquire does next, which idle connection is evicted, when
 * one expired, what a release does. The pool (pool.ts) keeps the connections, the timers and
 * the waiting; every rule it applies is here and is tested as values.
 *
 * @module
 */
import { ConnectionError } from "./errors.ts";

/** Why the pool closed a connection. */
export type DisposeReason =
  | "idle_timeout"
  | "max_lifetime"
  | "evicted"
  | "broken"
  | "not_alive"
  | "closed";

/**
 * The pool's limits (`KeyedPool` options: absent ones take the defaults); durations in ms, 0 =
 * "no limit" where noted.
 */
export interface PoolLimits {
  /**
   * Connections (idle + leased + being created) per key.
   * @default {1}
   */
  readonly maxPerKey: number;
  /**
   * Connections over all keys; at the cap the least recently used IDLE one is evicted.
   * @default {10}
   */
  readonly maxTotal: number;
  /**
   * An idle connection older than this (since its last release) is closed; 0 = never.
   * @default {1800000} (30 min)
   */
  readonly idleTimeoutMs: number;
  /**
   * A connection older than this (since creation) is closed when idle, or retired on release
   * when leased — never closed mid-use; 0 = unlimited.
   * @default {0}
   */
  readonly maxLifetimeMs: number;
  /**
   * Connections kept open per key passed to `KeyedPool.warm` (Conbus: 1 — connected at start
   * and again after each disposal). Replenished after every disposal and on each reaper pass;
   * a failed replenish is retried only on the next reaper pass (no busy loop).
   * @default {0}
   */
  readonly minOpenPerKey: number;
  /**
   * Background reaper period (unref'd timer); 0 = no reaper.
   * @default {300000} (5 min)
   */
  readonly reapIntervalMs: number;
  /**
   * How long `acquire` waits for capacity (all of a key's connections leased, or the global
   * cap reached with nothing idle to evict) or for a creation in flight; then it rejects with
   * `busy` (capacity) or `timeout` (creation). 0 = wait indefinitely.
   * @default {30000}
   */
  readonly acquireTimeoutMs: number;
}

/**
 * Applies the defaults (see {@link PoolLimits}) and rejects impossible values with a RangeError
 * naming the option.
 *
 * @example
 * ```ts
 * poolLimits({ maxTotal: 4 }).maxPerKey; // 1
 * ```
 */
export function poolLimits(options: Partial<PoolLimits>): PoolLimits {
  const limits: PoolLimits = {
    maxPerKey: positiveInteger(options.maxPerKey ?? 1, "maxPerKey"),
    maxTotal: positiveInteger(options.maxTotal ?? 10, "maxTotal"),
    idleTimeoutMs: nonNegative(options.idleTimeoutMs ?? 1_800_000, "idleTimeoutMs"),
    maxLifetimeMs: nonNegative(options.maxLifetimeMs ?? 0, "maxLifetimeMs"),
    minOpenPerKey: nonNegative(options.minOpenPerKey ?? 0, "minOpenPerKey"),
    reapIntervalMs: nonNegative(options.reapIntervalMs ?? 300_000, "reapIntervalMs"),
    acquireTimeoutMs: nonNegative(options.acquireTimeoutMs ?? 30_000, "acquireTimeoutMs"),
  };
  if (limits.minOpenPerKey > limits.maxPerKey) {
    throw new RangeError("KeyedPool: minOpenPerKey must not exceed maxPerKey");
  }
  return limits;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`KeyedPool: ${name} must be an integer ≥ 1, got ${value}`);
  }
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`KeyedPool: ${name} must be a finite number ≥ 0, got ${value}`);
  }
  return value;
}

/** One pooled connection's bookkeeping (clock ms). */
export interface PoolEntry<C> {
  /** Its key. */
  readonly key: string;
  /** The pooled connection itself (a socket, a bridge client), as `create` made it. */
  readonly connection: C;
  /** When it was opened. */
  readonly createdAt: number;
  /** When it was last leased or released. */
  lastUsedAt: number;
  /** Opened just now for a waiting acquire: no expiry or aliveness check before handing it out. */
  fresh: boolean;
  /** Leased at least once (a later lease counts as a reuse). */
  used: boolean;
  /** The bookkeeping of its key. */
  readonly state: KeyState<C>;
}

/** One key's bookkeeping. */
export interface KeyState<C> {
  /** Ordered by release time: the last one is the most recently used. */
  idle: PoolEntry<C>[];
  /** Leased now. */
  leased: Set<PoolEntry<C>>;
  /** The creation in flight (at most one per key), or null. */
  creating: Promise<void> | null;
  /** Acquires awaiting `creating` (its connection is then handed out unchecked). */
  awaitingCreation: number;
  /** Kept at `minOpenPerKey` open connections. */
  warm: boolean;
  /** Forgotten while in use: its connections are closed as they come back. */
  retired: boolean;
}

/** A key's bookkeeping before its first connection. */
export function emptyKeyState<C>(): KeyState<C> {
  return {
    idle: [],
    leased: new Set(),
    creating: null,
    awaitingCreation: 0,
    warm: false,
    retired: false,
  };
}

/** Connections counted against the caps for one key: idle + leased + a creation in flight. */
export function openCount(state: KeyState<unknown>): number {
  return state.idle.length + state.leased.size + (state.creating !== null ? 1 : 0);
}

/** {@link openCount} over all keys (retired ones included: their connections are still open). */
function totalOpen(states: Iterable<KeyState<unknown>>): number {
  let total = 0;
  for (const state of states) total += openCount(state);
  return total;
}

/** Whether a key holds nothing and is not kept warm (its bookkeeping can be dropped). */
export function isUnused(state: KeyState<unknown>): boolean {
  return !state.warm && openCount(state) === 0;
}

/**
 * The key whose oldest idle connection was used least recently — the one to evict at the
 * global cap; undefined when nothing is idle (leased connections are never evicted).
 */
export function leastRecentlyUsedIdle<C>(
  states: Iterable<KeyState<C>>,
): KeyState<C> | undefined {
  let victim: KeyState<C> | undefined;
  for (const state of states) {
    const oldest = state.idle[0];
    if (oldest === undefined) continue;
    if (victim === undefined || oldest.lastUsedAt < victim.idle[0]!.lastUsedAt) victim = state;
  }
  return victim;
}

/** Whether `entry` outlived `maxLifetimeMs` at `nowMs`. */
function lifetimeOver(
  entry: Pick<PoolEntry<unknown>, "createdAt">,
  nowMs: number,
  limits: PoolLimits,
): boolean {
  return limits.maxLifetimeMs > 0 && nowMs - entry.createdAt >= limits.maxLifetimeMs;
}

/** Why an idle `entry` must be closed at `nowMs` (lifetime first, then idle time), or null. */
export function expiryOf(
  entry: Pick<PoolEntry<unknown>, "createdAt" | "lastUsedAt">,
  nowMs: number,
  limits: PoolLimits,
): DisposeReason | null {
  if (lifetimeOver(entry, nowMs, limits)) return "max_lifetime";
  if (limits.idleTimeoutMs > 0 && nowMs - entry.lastUsedAt >= limits.idleTimeoutMs) {
    return "idle_timeout";
  }
  return null;
}

/** What an acquire (or a warm-up) does when no idle connection of its key is at hand. */
export type OpenStep<C> =
  /** Join the creation in flight for the key. */
  | { kind: "await_creation" }
  /** Open a connection, after evicting `evict`'s least recently used idle one if not null. */
  | { kind: "create"; evict: KeyState<C> | null }
  /** No capacity: wait for a change (after evicting `evict`'s idle one if not null). */
  | { kind: "wait"; evict: KeyState<C> | null };

/**
 * Single-flight first (one creation per key), then the per-key cap, then the global cap — at
 * which the least recently used idle connection of any key makes room.
 *
 * @example
 * ```ts
 * const step = nextOpenStep(state, [...states], limits);
 * if (step.kind === "create" && step.evict !== null) evictOldestIdle(step.evict);
 * ```
 */
export function nextOpenStep<C>(
  state: KeyState<C>,
  states: readonly KeyState<C>[],
  limits: PoolLimits,
): OpenStep<C> {
  if (state.creating !== null) return { kind: "await_creation" };
  if (openCount(state) >= limits.maxPerKey) return { kind: "wait", evict: null };
  const total = totalOpen(states);
  const evict = total >= limits.maxTotal ? leastRecentlyUsedIdle(states) ?? null : null;
  const after = total - (evict === null ? 0 : 1);
  return { kind: after < limits.maxTotal ? "create" : "wait", evict };
}

/** What happens to a connection given back by its lease: back to idle, or closed and why. */
export function releaseOutcome(
  entry: Pick<PoolEntry<unknown>, "createdAt" | "state">,
  broken: boolean,
  closing: boolean,
  nowMs: number,
  limits: PoolLimits,
): DisposeReason | "idle" {
  if (broken) return "broken";
  if (closing) return "closed";
  if (lifetimeOver(entry, nowMs, limits)) return "max_lifetime";
  if (entry.state.retired) return "evicted";
  return "idle";
}

/**
 * Whether a warm key gets one more background connection now. Never by evicting: two warm keys
 * at the global cap would evict each other forever.
 */
export function needsReplenish<C>(
  state: KeyState<C>,
  states: readonly KeyState<C>[],
  limits: PoolLimits,
): boolean {
  return state.warm && state.creating === null && openCount(state) < limits.minOpenPerKey &&
    totalOpen(states) < limits.maxTotal;
}

/**
 * Why an acquire gave up waiting: `busy` — no capacity within `acquireTimeoutMs` (the caller may
 * try again later); `timeout` — the creation it waited for took longer.
 */
export function acquireDeadlineError(
  kind: "busy" | "timeout",
  key: string,
  limits: PoolLimits,
): ConnectionError {
  const { acquireTimeoutMs, maxPerKey, maxTotal } = limits;
  return new ConnectionError(
    kind,
    kind === "busy"
      ? `pool for ${key}: no connection free within ${acquireTimeoutMs} ms (max ${maxPerKey} per key, ${maxTotal} in total) — try again later`
      : `pool for ${key}: connecting took longer than ${acquireTimeoutMs} ms`,
  );
}
