/** The pool's rules as values: limits, caps, eviction victim, expiry, release, replenish. */
import assert from "node:assert/strict";
import {
  acquireDeadlineError,
  emptyKeyState,
  expiryOf,
  type KeyState,
  leastRecentlyUsedIdle,
  needsReplenish,
  nextOpenStep,
  type PoolEntry,
  poolLimits,
  releaseOutcome,
} from "../../src/resilience/pool_decisions.ts";

type State = KeyState<string>;

/** A key with idle connections last used at `idleUsedAt` (oldest first) and `leased` leased. */
function key(
  name: string,
  idleUsedAt: number[] = [],
  leased = 0,
  extra: Partial<State> = {},
): State {
  const state: State = { ...emptyKeyState<string>(), ...extra };
  const entry = (lastUsedAt: number, index: number): PoolEntry<string> => ({
    key: name,
    connection: `${name}#${index}`,
    createdAt: 0,
    lastUsedAt,
    fresh: false,
    used: true,
    state,
  });
  state.idle = idleUsedAt.map(entry);
  state.leased = new Set(Array.from({ length: leased }, (_, index) => entry(0, 100 + index)));
  return state;
}

const CREATING = Promise.resolve();

Deno.test("poolLimits: defaults, and impossible values name the option", () => {
  assert.deepEqual(poolLimits({}), {
    maxPerKey: 1,
    maxTotal: 10,
    idleTimeoutMs: 1_800_000,
    maxLifetimeMs: 0,
    minOpenPerKey: 0,
    reapIntervalMs: 300_000,
    acquireTimeoutMs: 30_000,
  });
  assert.throws(() => poolLimits({ maxPerKey: 0 }), /maxPerKey must be an integer ≥ 1, got 0/);
  assert.throws(() => poolLimits({ maxTotal: 1.5 }), /maxTotal/);
  assert.throws(() => poolLimits({ idleTimeoutMs: -1 }), /idleTimeoutMs/);
  assert.throws(() => poolLimits({ acquireTimeoutMs: Infinity }), /acquireTimeoutMs/);
  assert.throws(() => poolLimits({ minOpenPerKey: 2 }), /minOpenPerKey must not exceed/);
});

Deno.test("nextOpenStep: single flight, then the per-key cap, then the global cap", () => {
  const limits = poolLimits({ maxPerKey: 2, maxTotal: 3 });
  const cases: { name: string; state: State; others: State[]; expected: string }[] = [
    {
      name: "a creation in flight is joined, whatever the caps",
      state: key("a", [], 0, { creating: CREATING }),
      others: [key("b", [1, 2, 3])],
      expected: "await_creation",
    },
    { name: "room everywhere: create", state: key("a"), others: [], expected: "create" },
    {
      name: "the key's cap is reached by leases: wait, evict nothing",
      state: key("a", [], 2),
      others: [key("b", [5])],
      expected: "wait",
    },
    {
      name: "the global cap with an idle connection elsewhere: evict it, then create",
      state: key("a", [], 1),
      others: [key("b", [5, 6])],
      expected: "create, evict b",
    },
    {
      name: "the global cap with everything leased: wait",
      state: key("a", [], 1),
      others: [key("b", [], 2)],
      expected: "wait",
    },
  ];
  for (const { name, state, others, expected } of cases) {
    const step = nextOpenStep(state, [state, ...others], limits);
    const evict = step.kind !== "await_creation" && step.evict !== null
      ? `, evict ${step.evict.idle[0]!.key}`
      : "";
    assert.equal(`${step.kind}${evict}`, expected, name);
  }
});

Deno.test("leastRecentlyUsedIdle: the key whose oldest idle connection is oldest; none idle → undefined", () => {
  const a = key("a", [30, 40]);
  const b = key("b", [10, 50]);
  const c = key("c", [], 3);
  assert.equal(leastRecentlyUsedIdle([a, b, c]), b);
  assert.equal(leastRecentlyUsedIdle([a, c]), a);
  assert.equal(leastRecentlyUsedIdle([c]), undefined);
});

Deno.test("expiryOf: lifetime first, then idle time; 0 means no limit", () => {
  const limits = poolLimits({ idleTimeoutMs: 1000, maxLifetimeMs: 5000 });
  const cases: [createdAt: number, lastUsedAt: number, now: number, expected: string | null][] = [
    [0, 0, 999, null],
    [0, 0, 1000, "idle_timeout"],
    [0, 4500, 5000, "max_lifetime"],
    [0, 4500, 4999, null],
  ];
  for (const [createdAt, lastUsedAt, now, expected] of cases) {
    assert.equal(expiryOf({ createdAt, lastUsedAt }, now, limits), expected, `${now}`);
  }
  const unlimited = poolLimits({ idleTimeoutMs: 0, maxLifetimeMs: 0 });
  assert.equal(expiryOf({ createdAt: 0, lastUsedAt: 0 }, 1e12, unlimited), null);
});

Deno.test("releaseOutcome: broken, closing, lifetime, retired key — else back to idle", () => {
  const limits = poolLimits({ maxLifetimeMs: 1000 });
  const live = key("a");
  const retired = key("r", [], 0, { retired: true });
  const cases: [broken: boolean, closing: boolean, now: number, state: State, expected: string][] =
    [
      [true, true, 2000, retired, "broken"],
      [false, true, 2000, retired, "closed"],
      [false, false, 1000, retired, "max_lifetime"],
      [false, false, 999, retired, "evicted"],
      [false, false, 999, live, "idle"],
    ];
  for (const [broken, closing, now, state, expected] of cases) {
    assert.equal(releaseOutcome({ createdAt: 0, state }, broken, closing, now, limits), expected);
  }
});

Deno.test("needsReplenish: only warm keys below minOpenPerKey, never past the global cap", () => {
  const limits = poolLimits({ maxPerKey: 1, maxTotal: 2, minOpenPerKey: 1 });
  const warmEmpty = key("a", [], 0, { warm: true });
  assert.equal(needsReplenish(warmEmpty, [warmEmpty], limits), true);
  assert.equal(needsReplenish(key("a"), [key("a")], limits), false, "not warm");
  const full = [warmEmpty, key("b", [1]), key("c", [2])];
  assert.equal(needsReplenish(warmEmpty, full, limits), false, "global cap: never evict");
  const creating = key("a", [], 0, { warm: true, creating: CREATING });
  assert.equal(needsReplenish(creating, [creating], limits), false, "creation in flight");
});

Deno.test("acquireDeadlineError: busy names the caps, timeout the creation", () => {
  const limits = poolLimits({ maxPerKey: 1, maxTotal: 4, acquireTimeoutMs: 250 });
  const busy = acquireDeadlineError("busy", "4121", limits);
  assert.equal(busy.category, "busy");
  assert.equal(
    busy.message,
    "pool for 4121: no connection free within 250 ms (max 1 per key, 4 in total) — try again later",
  );
  const timeout = acquireDeadlineError("timeout", "4121", limits);
  assert.equal(timeout.category, "timeout");
  assert.equal(timeout.message, "pool for 4121: connecting took longer than 250 ms");
});
