import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { ConnectionError } from "./errors.ts";
import { TypedEmitter } from "./events.ts";
import { checkAlive, type Connector } from "./pool_connector.ts";
import { type AcquireOptions, type Lease, leaseOf, type UseOptions } from "./pool_lease.ts";
import {
  acquireDeadlineError,
  type DisposeReason,
  emptyKeyState,
  expiryOf,
  isUnused,
  type KeyState,
  needsReplenish,
  nextOpenStep,
  openCount,
  type PoolEntry,
  type PoolLimits,
  poolLimits,
  releaseOutcome,
} from "./pool_decisions.ts";
import {
  countDisposal,
  keyStats,
  type PoolKeyStats,
  type PoolStats,
  poolStats,
  zeroCounters,
} from "./pool_stats.ts";
import { ChangeWaiters } from "./pool_waiters.ts";
import { deadline } from "./deadline.ts";

/** Options for {@link KeyedPool}: the connector, the limits (see {@link PoolLimits}), the clock. */
export interface PoolOptions<C> extends Partial<PoolLimits> {
  /** Opens/closes/checks connections. */
  connector: Connector<C>;
  /** @default {systemClock} */
  clock?: Clock;
}

/** Events of a {@link KeyedPool}. */
export interface PoolEvents<C> {
  /** A connection was opened. */
  create: { key: string; connection: C };
  /** A connection was closed. */
  destroy: { key: string; connection: C; reason: DisposeReason };
  /** `create` threw or rejected (the key's waiters get that error; nothing was added). */
  create_failed: { key: string; error: unknown };
}

/**
 * A keyed connection pool (key = kitty PID, "host:port", ...): single-flight creation (at most
 * one `create` in flight per key; concurrent acquires share its outcome, so two callers never
 * open two connections at once and a failing `create` fails its waiters once instead of
 * spinning), per-key and global caps (LRU eviction of idle connections only), idle timeout, max
 * lifetime (never closes a leased connection), aliveness check before reuse, discard of broken
 * connections, min-open warm keys, a background reaper on an unref'd timer and a draining
 * `close()`.
 *
 * Why ours and not `generic-pool`: it has no keys (one pool per kitty would mean N reapers and
 * no global cap), no max lifetime, spins when `create` keeps failing (its issues #175/#183) and
 * leaks an unhandled rejection from a rejecting `validate` (#195). This one is small and tested
 * on virtual time.
 *
 * Per-key max: `acquire` waits (FIFO-ish: waiters retry in arrival order on every change) for a
 * release, up to `acquireTimeoutMs`, then rejects with `busy`.
 *
 * @example
 * ```ts
 * const pool = new KeyedPool<Socket>({
 *   connector: { create: (key) => connectStream({ path: pathFor(key) }, { timeoutMs: 1000 }), destroy: (socket) => socket.destroy() },
 *   maxPerKey: 1, maxTotal: 10, idleTimeoutMs: 1_800_000, reapIntervalMs: 300_000,
 * });
 * const reply = await pool.use("4121", (socket) => sendCommand(socket, command));
 * await pool.close();
 * ```
 */
export class KeyedPool<C> {
  /** create / destroy / create_failed events. */
  readonly events: TypedEmitter<PoolEvents<C>> = new TypedEmitter();
  readonly #connector: Connector<C>;
  readonly #clock: Clock;
  readonly #limits: PoolLimits;
  #keys = new Map<string, KeyState<C>>();
  #retired = new Set<KeyState<C>>();
  readonly #changes = new ChangeWaiters();
  #waiting = 0;
  #pendingDestroys = new Set<Promise<void>>();
  #reaper: TimerHandle | null = null;
  #closing = false;
  #lifecycle = new AbortController();
  readonly #counters = zeroCounters();

  constructor(options: PoolOptions<C>) {
    this.#connector = options.connector;
    this.#clock = options.clock ?? systemClock;
    this.#limits = poolLimits(options);
    this.#scheduleReaper();
  }

  /**
   * Leases a connection for `key`: an idle one that passes the aliveness check, else a new one
   * (single-flight), else waits for capacity. Rejects with the creation error, `busy`/`timeout`
   * after `acquireTimeoutMs`, the signal's reason, or `closed` once {@link KeyedPool.close} began.
   */
  async acquire(key: string, options: AcquireOptions = {}): Promise<Lease<C>> {
    const startedAtMs = this.#clock.now();
    const timeoutMs = this.#limits.acquireTimeoutMs;
    const deadline = timeoutMs > 0 ? startedAtMs + timeoutMs : null;
    for (let first = true;; first = false) {
      this.#throwIfClosing(key);
      options.signal?.throwIfAborted();
      const state = this.#state(key);
      const entry = state.idle.pop();
      if (entry !== undefined) {
        const leasing = this.#tryLease(entry, state, first ? startedAtMs : this.#clock.now());
        const lease = leasing instanceof Promise ? await leasing : leasing;
        if (lease !== null) return lease;
        continue;
      }
      const step = nextOpenStep(state, this.#states(), this.#limits);
      if (step.kind === "await_creation") {
        const creating = state.creating!;
        state.awaitingCreation++;
        try {
          await this.#wait(() => creating, deadline, options.signal, "timeout", key);
        } finally {
          state.awaitingCreation--;
        }
        continue;
      }
      if (step.evict !== null) this.#evictOldestIdle(step.evict);
      if (step.kind === "create") {
        const creating = this.#create(key, state, true);
        await this.#wait(() => creating, deadline, options.signal, "timeout", key);
        continue;
      }
      this.#waiting++;
      try {
        await this.#wait((stop) => this.#changes.next(stop), deadline, options.signal, "busy", key);
      } finally {
        this.#waiting--;
      }
    }
  }

  /**
   * {@link KeyedPool.acquire} without a promise turn when it can: an idle connection that passes
   * the expiry and a synchronous aliveness check is leased at once and returned as is; anything
   * else (nothing idle, an asynchronous check, a discarded connection, a closing pool) goes the
   * way of `acquire` and returns its promise. For hot paths that lease per request (a pooled
   * Conbus read is a 50-100 µs round trip; the async acquire was a measurable part of it).
   *
   * @example
   * ```ts
   * const leasing = pool.acquireNow("10.0.0.5:10001");
   * const lease = leasing instanceof Promise ? await leasing : leasing;
   * ```
   */
  acquireNow(key: string, options: AcquireOptions = {}): Lease<C> | Promise<Lease<C>> {
    const state = this.#keys.get(key);
    const entry = state?.idle.at(-1);
    if (entry === undefined || this.#closing || options.signal?.aborted) {
      return this.acquire(key, options);
    }
    state!.idle.pop();
    const leasing = this.#tryLease(entry, state!, this.#clock.now());
    if (leasing instanceof Promise) {
      return leasing.then((lease) => lease ?? this.acquire(key, options));
    }
    return leasing ?? this.acquire(key, options);
  }

  /**
   * Acquires, runs `fn`, releases — discarding the connection if `fn` throws (see
   * {@link UseOptions.keepOnError}). Combine with `retry` for a fresh connection per attempt.
   *
   * @example
   * ```ts
   * await retry(KITTY_COMMAND_POLICY, () => pool.use(String(pid), (socket) => send(socket, cmd)));
   * ```
   */
  async use<T>(
    key: string,
    fn: (connection: C, lease: Lease<C>) => Promise<T> | T,
    options: UseOptions = {},
  ): Promise<T> {
    const lease = await this.acquire(key, options);
    let result: T;
    try {
      result = await fn(lease.connection, lease);
    } catch (error) {
      lease.release({ broken: !(options.keepOnError?.(error) ?? false) });
      throw error;
    }
    lease.release();
    return result;
  }

  /**
   * Keeps `minOpenPerKey` connections open for `key` from now on and opens them now; rejects if
   * opening fails (the key stays warm: the reaper retries).
   */
  async warm(key: string): Promise<void> {
    this.#throwIfClosing(key);
    const state = this.#state(key);
    state.warm = true;
    while (openCount(state) < this.#limits.minOpenPerKey) {
      const step = nextOpenStep(state, this.#states(), this.#limits);
      if (step.kind === "await_creation") {
        await state.creating;
        continue;
      }
      if (step.evict !== null) this.#evictOldestIdle(step.evict);
      if (step.kind === "wait") return;
      await this.#create(key, state, false);
    }
  }

  /**
   * Forgets `key`: stops keeping it warm, closes its idle connections now and retires leased
   * ones on release (e.g. the kitty with that PID exited).
   */
  forget(key: string): void {
    const state = this.#keys.get(key);
    if (state === undefined) return;
    state.warm = false;
    this.#keys.delete(key);
    for (const entry of state.idle.splice(0)) this.#dispose(entry, "evicted");
    if (state.leased.size > 0 || state.creating !== null) {
      state.retired = true;
      this.#retired.add(state);
    }
  }

  /** One reaper pass: closes expired idle connections, replenishes warm keys. */
  async reap(): Promise<void> {
    const now = this.#clock.now();
    for (const state of this.#keys.values()) {
      for (const entry of [...state.idle]) {
        const reason = expiryOf(entry, now, this.#limits);
        if (reason !== null) {
          state.idle.splice(state.idle.indexOf(entry), 1);
          this.#dispose(entry, reason);
        }
      }
    }
    await Promise.all([...this.#keys.keys()].map((key) => this.#replenish(key)));
    for (const [key, state] of this.#keys) if (isUnused(state)) this.#keys.delete(key);
  }

  /** Counters and current counts. */
  stats(): PoolStats {
    return poolStats(this.#counters, this.#states(), this.#waiting);
  }

  /** Current counts for one key. */
  keyStats(key: string): PoolKeyStats {
    return keyStats(this.#keys.get(key));
  }

  /**
   * Stops the reaper, rejects waiting and new acquires with `closed`, closes idle connections,
   * waits for every lease to be released (then closes it) and for every close to finish.
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#lifecycle.abort(new ConnectionError("closed", "pool closed", { recoverable: false }));
      if (this.#reaper !== null) this.#clock.clearTimeout(this.#reaper);
      this.#reaper = null;
      for (const state of this.#keys.values()) {
        for (const entry of state.idle.splice(0)) this.#dispose(entry, "closed");
      }
      this.#changes.wakeAll();
    }
    while (this.#states().some((state) => openCount(state) > 0)) await this.#changes.next();
    while (this.#pendingDestroys.size > 0) await Promise.all([...this.#pendingDestroys]);
    this.#keys.clear();
  }

  /**
   * Leases `entry` unless it expired or fails the aliveness check. Synchronous when the
   * connector's check is (a flag the connection keeps): a pooled request's hot path then takes
   * no extra promise turns.
   */
  #tryLease(
    entry: PoolEntry<C>,
    state: KeyState<C>,
    nowMs: number,
  ): Lease<C> | null | Promise<Lease<C> | null> {
    const reason = entry.fresh ? null : expiryOf(entry, nowMs, this.#limits);
    if (reason !== null) {
      this.#dispose(entry, reason);
      return null;
    }
    state.leased.add(entry);
    // A connection opened in the background (warm/replenish) may have idled for hours: check it.
    if (entry.fresh || this.#connector.isAlive === undefined) return this.#lease(entry, nowMs);
    const checked = checkAlive(this.#connector, entry.connection, entry.key);
    if (typeof checked === "boolean") return this.#afterAliveCheck(entry, state, checked, nowMs);
    return checked.then((alive) => this.#afterAliveCheck(entry, state, alive, this.#clock.now()));
  }

  #afterAliveCheck(
    entry: PoolEntry<C>,
    state: KeyState<C>,
    alive: boolean,
    nowMs: number,
  ): Lease<C> | null {
    if (!alive) {
      state.leased.delete(entry);
      this.#counters.discarded++;
      this.#dispose(entry, "not_alive");
      return null;
    }
    if (this.#closing) {
      state.leased.delete(entry);
      this.#dispose(entry, "closed");
      return null; // the acquire loop then rejects with `closed`
    }
    return this.#lease(entry, nowMs);
  }

  #lease(entry: PoolEntry<C>, nowMs: number): Lease<C> {
    if (entry.used) this.#counters.reused++;
    const lease = leaseOf(entry, (broken) => this.#release(entry, broken));
    entry.fresh = false;
    entry.used = true;
    entry.lastUsedAt = nowMs;
    return lease;
  }

  #release(entry: PoolEntry<C>, broken: boolean): void {
    entry.state.leased.delete(entry);
    const now = this.#clock.now();
    const outcome = releaseOutcome(entry, broken, this.#closing, now, this.#limits);
    if (outcome === "idle") {
      entry.lastUsedAt = now;
      entry.state.idle.push(entry);
      this.#changes.wakeAll();
      return;
    }
    if (outcome === "broken") this.#counters.discarded++;
    this.#dispose(entry, outcome);
  }

  /** `forAcquire`: an acquire waits for it (handed out unchecked); else a background open. */
  #create(key: string, state: KeyState<C>, forAcquire: boolean): Promise<void> {
    const creating = (async () => {
      try {
        const connection = await this.#connector.create(key, this.#lifecycle.signal);
        const now = this.#clock.now();
        const entry: PoolEntry<C> = {
          key,
          connection,
          createdAt: now,
          lastUsedAt: now,
          fresh: forAcquire || state.awaitingCreation > 0,
          used: false,
          state,
        };
        this.#counters.created++;
        this.events.emit("create", { key, connection });
        if (this.#closing) this.#dispose(entry, "closed");
        else if (state.retired) this.#dispose(entry, "evicted");
        else state.idle.push(entry);
      } catch (error) {
        this.#counters.failed++;
        this.events.emit("create_failed", { key, error });
        throw error;
      } finally {
        state.creating = null;
        if (state.retired && state.leased.size === 0) this.#retired.delete(state);
        this.#changes.wakeAll();
      }
    })();
    state.creating = creating;
    // Waiters observe the rejection through `creating`; this handler only prevents an
    // unhandled rejection when nobody waits (e.g. a background replenish).
    creating.catch(() => {});
    return creating;
  }

  async #replenish(key: string): Promise<void> {
    const state = this.#keys.get(key);
    if (state === undefined || this.#closing) return;
    if (!needsReplenish(state, this.#states(), this.#limits)) return;
    // One attempt per trigger: a failure waits for the next reaper pass or disposal.
    await this.#create(key, state, false).catch(() => {});
  }

  #dispose(entry: PoolEntry<C>, reason: DisposeReason): void {
    const state = entry.state;
    if (state.retired && state.leased.size === 0 && state.creating === null) {
      this.#retired.delete(state);
    }
    countDisposal(this.#counters, reason);
    this.events.emit("destroy", { key: entry.key, connection: entry.connection, reason });
    const destroying = (async () => {
      try {
        await this.#connector.destroy(entry.connection, entry.key);
      } catch {
        // Forgotten either way; a failing close must not break the pool.
      }
    })();
    this.#pendingDestroys.add(destroying);
    destroying.finally(() => this.#pendingDestroys.delete(destroying));
    this.#changes.wakeAll();
    if (!this.#closing) void this.#replenish(entry.key);
  }

  /** Closes the least recently used idle connection of `state` to make room at the global cap. */
  #evictOldestIdle(state: KeyState<C>): void {
    this.#dispose(state.idle.shift()!, "evicted");
  }

  #state(key: string): KeyState<C> {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = emptyKeyState();
      this.#keys.set(key, state);
    }
    return state;
  }

  #states(): KeyState<C>[] {
    return [...this.#keys.values(), ...this.#retired];
  }

  #throwIfClosing(key: string): void {
    if (this.#closing) {
      throw new ConnectionError("closed", `pool for ${key}: closed`, { recoverable: false });
    }
  }

  /** Awaits `awaited` unless the acquire's deadline passes or its signal aborts first. */
  #wait(
    awaited: (stop: AbortSignal) => Promise<void>,
    deadlineAt: number | null,
    signal: AbortSignal | undefined,
    onDeadline: "busy" | "timeout",
    key: string,
  ): Promise<void> {
    const clock = this.#clock;
    return deadline(awaited, deadlineAt === null ? Infinity : deadlineAt - clock.now(), {
      clock,
      signal,
      onTimeout: () => acquireDeadlineError(onDeadline, key, this.#limits),
    });
  }

  #scheduleReaper(): void {
    if (this.#limits.reapIntervalMs === 0 || this.#closing) return;
    this.#reaper = this.#clock.setTimeout(
      () => {
        this.#reaper = null;
        void this.reap().finally(() => this.#scheduleReaper());
      },
      this.#limits.reapIntervalMs,
      { unref: true },
    );
  }
}
