import { type Clock, systemClock, type TimerHandle } from "./clock.ts";
import { ConnectionError } from "./errors.ts";
import { TypedEmitter } from "./events.ts";

/**
 * Opens, closes and checks connections for a {@link KeyedPool}. Injected, so the pool never
 * knows what a connection is (a kitty socket, the Conbus TCP stream, a fake in tests).
 */
export interface Connector<C> {
  /**
   * Opens a connection for `key`. Throw a {@link ConnectionError} on failure. `signal` aborts
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

/** Why the pool closed a connection. */
export type DisposeReason =
  | "idle_timeout"
  | "max_lifetime"
  | "evicted"
  | "broken"
  | "not_alive"
  | "closed";

/** Options for {@link KeyedPool}; durations in ms, 0 = "no limit" where noted. */
export interface PoolOptions<C> {
  /** Opens/closes/checks connections. */
  connector: Connector<C>;
  /** Connections (idle + leased + being created) per key. Default 1. */
  maxPerKey?: number;
  /** Connections over all keys; at the cap the least recently used IDLE one is evicted. Default 10. */
  maxTotal?: number;
  /** An idle connection older than this (since its last release) is closed. Default 1800000 (30 min); 0 = never. */
  idleTimeoutMs?: number;
  /**
   * A connection older than this (since creation) is closed when idle, or retired on release
   * when leased — never closed mid-use. Default 0 = unlimited.
   */
  maxLifetimeMs?: number;
  /**
   * Connections kept open per key passed to {@link KeyedPool.warm} (Conbus: 1 — connected at
   * start and again after each disposal). Replenished after every disposal and on each reaper
   * pass; a failed replenish is retried only on the next reaper pass (no busy loop). Default 0.
   */
  minOpenPerKey?: number;
  /** Background reaper period (unref'd timer). Default 300000 (5 min); 0 = no reaper. */
  reapIntervalMs?: number;
  /**
   * How long `acquire` waits for capacity (all of a key's connections leased, or the global
   * cap reached with nothing idle to evict) or for a creation in flight; then it rejects with
   * `busy` (capacity) or `timeout` (creation). Default 30000; 0 = wait indefinitely.
   */
  acquireTimeoutMs?: number;
  /** Default {@link systemClock}. */
  clock?: Clock;
}

/** A leased connection; give it back with {@link Lease.release} exactly once (extra calls are ignored). */
export interface Lease<C> {
  /** The connection. */
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

/** Counters since creation plus current counts. */
export interface PoolStats {
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
  /** Whether {@link KeyedPool.warm} keeps `minOpenPerKey` open for it. */
  warm: boolean;
}

/** Events of a {@link KeyedPool}. */
export interface PoolEvents<C> {
  /** A connection was opened. */
  create: { key: string; connection: C };
  /** A connection was closed. */
  destroy: { key: string; connection: C; reason: DisposeReason };
  /** `create` failed. */
  create_failed: { key: string; error: unknown };
}

/** Options for {@link KeyedPool.acquire}. */
export interface AcquireOptions {
  /** Stops waiting (rejects with its reason); a creation in flight continues for others. */
  signal?: AbortSignal;
}

/** Options for {@link KeyedPool.use}. */
export interface UseOptions extends AcquireOptions {
  /**
   * By default any error thrown by `fn` discards the connection: after a failure mid-exchange
   * the stream may hold half a reply, so reusing it is unsafe. Return true for errors known to
   * leave the stream clean (e.g. a well-formed error reply) to keep it.
   */
  keepOnError?: (error: unknown) => boolean;
}

interface Entry<C> {
  readonly key: string;
  readonly connection: C;
  readonly createdAt: number;
  lastUsedAt: number;
  /** Opened just now for a waiting acquire: no expiry or aliveness check before handing it out. */
  fresh: boolean;
  /** Leased at least once (a later lease counts as a reuse). */
  used: boolean;
  readonly state: KeyState<C>;
}

interface KeyState<C> {
  /** Ordered by release time: the last one is the most recently used. */
  idle: Entry<C>[];
  leased: Set<Entry<C>>;
  creating: Promise<void> | null;
  /** Acquires awaiting `creating` (its connection is then handed out unchecked). */
  awaitingCreation: number;
  warm: boolean;
  /** Forgotten while in use: its connections are closed as they come back. */
  retired: boolean;
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
 *   connector: { create: (key) => connectUnix(pathFor(key)), destroy: (socket) => socket.destroy() },
 *   maxPerKey: 1, maxTotal: 10, idleTimeoutMs: 1_800_000, reapIntervalMs: 300_000,
 * });
 * const reply = await pool.use("4121", (socket) => sendCommand(socket, command));
 * await pool.close();
 * ```
 */
export class KeyedPool<C> {
  /** create / destroy / create_failed events. */
  readonly events: TypedEmitter<PoolEvents<C>> = new TypedEmitter();
  #connector: Connector<C>;
  #clock: Clock;
  #maxPerKey: number;
  #maxTotal: number;
  #idleTimeoutMs: number;
  #maxLifetimeMs: number;
  #minOpenPerKey: number;
  #reapIntervalMs: number;
  #acquireTimeoutMs: number;
  #keys = new Map<string, KeyState<C>>();
  #retired = new Set<KeyState<C>>();
  #waiters = new Set<() => void>();
  #waiting = 0;
  #pendingDestroys = new Set<Promise<void>>();
  #reaper: TimerHandle | null = null;
  #closing = false;
  #lifecycle = new AbortController();
  #counters = {
    created: 0,
    reused: 0,
    evicted: 0,
    expired: 0,
    discarded: 0,
    failed: 0,
    destroyed: 0,
  };

  constructor(options: PoolOptions<C>) {
    this.#connector = options.connector;
    this.#clock = options.clock ?? systemClock;
    this.#maxPerKey = positiveInteger(options.maxPerKey ?? 1, "maxPerKey");
    this.#maxTotal = positiveInteger(options.maxTotal ?? 10, "maxTotal");
    this.#idleTimeoutMs = nonNegative(options.idleTimeoutMs ?? 1_800_000, "idleTimeoutMs");
    this.#maxLifetimeMs = nonNegative(options.maxLifetimeMs ?? 0, "maxLifetimeMs");
    this.#minOpenPerKey = nonNegative(options.minOpenPerKey ?? 0, "minOpenPerKey");
    if (this.#minOpenPerKey > this.#maxPerKey) {
      throw new RangeError("KeyedPool: minOpenPerKey must not exceed maxPerKey");
    }
    this.#reapIntervalMs = nonNegative(options.reapIntervalMs ?? 300_000, "reapIntervalMs");
    this.#acquireTimeoutMs = nonNegative(options.acquireTimeoutMs ?? 30_000, "acquireTimeoutMs");
    this.#scheduleReaper();
  }

  /**
   * Leases a connection for `key`: an idle one that passes the aliveness check, else a new one
   * (single-flight), else waits for capacity. Rejects with the creation error, `busy`/`timeout`
   * after `acquireTimeoutMs`, the signal's reason, or `closed` once {@link KeyedPool.close} began.
   */
  async acquire(key: string, options: AcquireOptions = {}): Promise<Lease<C>> {
    const startedAtMs = this.#clock.now();
    const deadline = this.#acquireTimeoutMs > 0 ? startedAtMs + this.#acquireTimeoutMs : null;
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
      if (state.creating !== null) {
        const creating = state.creating;
        state.awaitingCreation++;
        try {
          await this.#wait(() => creating, deadline, options.signal, "timeout", key);
        } finally {
          state.awaitingCreation--;
        }
        continue;
      }
      if (this.#openCount(state) < this.#maxPerKey) {
        if (this.#total() >= this.#maxTotal) this.#evictLeastRecentlyUsed();
        if (this.#total() < this.#maxTotal) {
          const creating = this.#create(key, state, true);
          await this.#wait(() => creating, deadline, options.signal, "timeout", key);
          continue;
        }
      }
      this.#waiting++;
      try {
        await this.#wait((stop) => this.#nextChange(stop), deadline, options.signal, "busy", key);
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
    while (this.#openCount(state) < this.#minOpenPerKey) {
      if (state.creating !== null) {
        await state.creating;
        continue;
      }
      if (this.#total() >= this.#maxTotal) this.#evictLeastRecentlyUsed();
      if (this.#total() >= this.#maxTotal) return;
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
        const reason = this.#expiry(entry, now);
        if (reason !== null) {
          state.idle.splice(state.idle.indexOf(entry), 1);
          this.#dispose(entry, reason);
        }
      }
    }
    await Promise.all([...this.#keys.keys()].map((key) => this.#replenish(key)));
    for (const [key, state] of this.#keys) this.#dropIfEmpty(key, state);
  }

  /** Counters and current counts. */
  stats(): PoolStats {
    let idle = 0;
    let leased = 0;
    let creating = 0;
    for (const state of this.#states()) {
      idle += state.idle.length;
      leased += state.leased.size;
      if (state.creating !== null) creating++;
    }
    return { ...this.#counters, idle, leased, creating, waiting: this.#waiting };
  }

  /** Current counts for one key. */
  keyStats(key: string): PoolKeyStats {
    const state = this.#keys.get(key);
    return {
      idle: state?.idle.length ?? 0,
      leased: state?.leased.size ?? 0,
      creating: (state?.creating ?? null) !== null,
      warm: state?.warm ?? false,
    };
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
      this.#wakeAll();
    }
    for (;;) {
      const busy = this.#states().some((state) =>
        state.leased.size > 0 || state.creating !== null || state.idle.length > 0
      );
      if (!busy) break;
      await this.#nextChange();
    }
    while (this.#pendingDestroys.size > 0) await Promise.all([...this.#pendingDestroys]);
    this.#keys.clear();
  }

  /**
   * Leases `entry` unless it expired or fails the aliveness check. Synchronous when the
   * connector's check is (a flag the connection keeps): a pooled request's hot path then takes
   * no extra promise turns.
   */
  #tryLease(
    entry: Entry<C>,
    state: KeyState<C>,
    nowMs: number,
  ): Lease<C> | null | Promise<Lease<C> | null> {
    const reason = entry.fresh ? null : this.#expiry(entry, nowMs);
    if (reason !== null) {
      this.#dispose(entry, reason);
      return null;
    }
    state.leased.add(entry);
    // A connection opened in the background (warm/replenish) may have idled for hours: check it.
    if (entry.fresh || this.#connector.isAlive === undefined) return this.#lease(entry, nowMs);
    let checked: Promise<boolean> | boolean;
    try {
      checked = this.#connector.isAlive(entry.connection, entry.key);
    } catch {
      checked = false;
    }
    if (typeof checked === "boolean") return this.#afterAliveCheck(entry, state, checked, nowMs);
    return checked.then((alive) => alive, () => false).then((alive) =>
      this.#afterAliveCheck(entry, state, alive, this.#clock.now())
    );
  }

  #afterAliveCheck(
    entry: Entry<C>,
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

  #lease(entry: Entry<C>, nowMs: number): Lease<C> {
    const reused = entry.used;
    entry.fresh = false;
    entry.used = true;
    if (reused) this.#counters.reused++;
    entry.lastUsedAt = nowMs;
    let released = false;
    return {
      connection: entry.connection,
      key: entry.key,
      reused,
      createdAt: entry.createdAt,
      release: (options = {}) => {
        if (released) return;
        released = true;
        this.#release(entry, options.broken === true);
      },
    };
  }

  #release(entry: Entry<C>, broken: boolean): void {
    const state = entry.state;
    state.leased.delete(entry);
    const now = this.#clock.now();
    if (broken) {
      this.#counters.discarded++;
      this.#dispose(entry, "broken");
    } else if (this.#closing) {
      this.#dispose(entry, "closed");
    } else if (this.#lifetimeOver(entry, now)) {
      this.#dispose(entry, "max_lifetime");
    } else if (state.retired) {
      this.#dispose(entry, "evicted");
    } else {
      entry.lastUsedAt = now;
      state.idle.push(entry);
      this.#wakeAll();
    }
  }

  /** `forAcquire`: an acquire waits for it (handed out unchecked); else a background open. */
  #create(key: string, state: KeyState<C>, forAcquire: boolean): Promise<void> {
    const creating = (async () => {
      try {
        const connection = await this.#connector.create(key, this.#lifecycle.signal);
        const now = this.#clock.now();
        const entry: Entry<C> = {
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
        this.#wakeAll();
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
    if (state === undefined || !state.warm || this.#closing) return;
    if (state.creating !== null || this.#openCount(state) >= this.#minOpenPerKey) return;
    // Never evict for a replenish: two warm keys at the global cap would evict each other forever.
    if (this.#total() >= this.#maxTotal) return;
    // One attempt per trigger: a failure waits for the next reaper pass or disposal.
    await this.#create(key, state, false).catch(() => {});
  }

  #dispose(entry: Entry<C>, reason: DisposeReason): void {
    const state = entry.state;
    if (state.retired && state.leased.size === 0 && state.creating === null) {
      this.#retired.delete(state);
    }
    this.#counters.destroyed++;
    if (reason === "idle_timeout" || reason === "max_lifetime") this.#counters.expired++;
    if (reason === "evicted") this.#counters.evicted++;
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
    this.#wakeAll();
    if (!this.#closing) void this.#replenish(entry.key);
  }

  #evictLeastRecentlyUsed(): void {
    let victim: Entry<C> | undefined;
    let victimState: KeyState<C> | undefined;
    for (const state of this.#keys.values()) {
      const oldest = state.idle[0];
      if (oldest !== undefined && (victim === undefined || oldest.lastUsedAt < victim.lastUsedAt)) {
        victim = oldest;
        victimState = state;
      }
    }
    if (victim === undefined || victimState === undefined) return;
    victimState.idle.shift();
    this.#dispose(victim, "evicted");
  }

  #expiry(entry: Entry<C>, now: number): DisposeReason | null {
    if (this.#lifetimeOver(entry, now)) return "max_lifetime";
    if (this.#idleTimeoutMs > 0 && now - entry.lastUsedAt >= this.#idleTimeoutMs) {
      return "idle_timeout";
    }
    return null;
  }

  #lifetimeOver(entry: Entry<C>, now: number): boolean {
    return this.#maxLifetimeMs > 0 && now - entry.createdAt >= this.#maxLifetimeMs;
  }

  #state(key: string): KeyState<C> {
    let state = this.#keys.get(key);
    if (state === undefined) {
      state = {
        idle: [],
        leased: new Set(),
        creating: null,
        awaitingCreation: 0,
        warm: false,
        retired: false,
      };
      this.#keys.set(key, state);
    }
    return state;
  }

  #dropIfEmpty(key: string, state: KeyState<C>): void {
    if (
      !state.warm && state.idle.length === 0 && state.leased.size === 0 && state.creating === null
    ) {
      this.#keys.delete(key);
    }
  }

  #openCount(state: KeyState<C>): number {
    return state.idle.length + state.leased.size + (state.creating !== null ? 1 : 0);
  }

  #total(): number {
    let total = 0;
    for (const state of this.#states()) total += this.#openCount(state);
    return total;
  }

  #states(): KeyState<C>[] {
    return [...this.#keys.values(), ...this.#retired];
  }

  #throwIfClosing(key: string): void {
    if (this.#closing) {
      throw new ConnectionError("closed", `pool for ${key}: closed`, { recoverable: false });
    }
  }

  /** Resolves on the next release/disposal/creation; `stop` withdraws the waiter. */
  #nextChange(stop?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.add(resolve);
      stop?.addEventListener("abort", () => this.#waiters.delete(resolve), { once: true });
    });
  }

  #wakeAll(): void {
    if (this.#waiters.size === 0) return; // every release calls this: no allocation when idle
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Awaits `awaited` unless the deadline passes or the signal aborts first. */
  async #wait(
    awaited: (stop: AbortSignal) => Promise<void>,
    deadline: number | null,
    signal: AbortSignal | undefined,
    onDeadline: "busy" | "timeout",
    key: string,
  ): Promise<void> {
    const stop = new AbortController();
    const cancel = () => stop.abort(signal?.reason);
    signal?.addEventListener("abort", cancel, { once: true });
    const guards: Promise<void>[] = [awaited(stop.signal)];
    if (deadline !== null) {
      guards.push(
        this.#clock.sleep(deadline - this.#clock.now(), stop.signal).then(() => {
          throw new ConnectionError(
            onDeadline,
            onDeadline === "busy"
              ? `pool for ${key}: no connection free within ${this.#acquireTimeoutMs} ms (max ${this.#maxPerKey} per key, ${this.#maxTotal} in total) — try again later`
              : `pool for ${key}: connecting took longer than ${this.#acquireTimeoutMs} ms`,
          );
        }),
      );
    }
    if (signal !== undefined) {
      guards.push(
        new Promise<void>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          stop.signal.addEventListener("abort", () => reject(stop.signal.reason), { once: true });
        }),
      );
    }
    try {
      await Promise.race(guards);
    } finally {
      signal?.removeEventListener("abort", cancel);
      stop.abort();
    }
  }

  #scheduleReaper(): void {
    if (this.#reapIntervalMs === 0 || this.#closing) return;
    this.#reaper = this.#clock.setTimeout(
      () => {
        this.#reaper = null;
        void this.reap().finally(() => this.#scheduleReaper());
      },
      this.#reapIntervalMs,
      { unref: true },
    );
  }
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
