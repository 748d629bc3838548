import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { KeyedPool, type PoolOptions } from "../../src/resilience/pool.ts";
import type { Connector } from "../../src/resilience/pool_connector.ts";
import type { DisposeReason } from "../../src/resilience/pool_decisions.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

interface FakeConnection {
  id: number;
  key: string;
  alive: boolean;
}

/** A connector whose connections are plain objects; creation takes `createDelayMs` virtual ms. */
class FakeConnector implements Connector<FakeConnection> {
  created: FakeConnection[] = [];
  destroyed: FakeConnection[] = [];
  createCalls = 0;
  inFlight = 0;
  maxInFlight = 0;
  failures: Error[] = [];
  aliveChecks = 0;
  aliveResult: "connection" | "throw" | "reject" = "connection";
  lastSignal: AbortSignal | null = null;

  constructor(readonly clock: VirtualClock, readonly createDelayMs = 0) {}

  async create(key: string, signal: AbortSignal): Promise<FakeConnection> {
    this.createCalls++;
    this.lastSignal = signal;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.createDelayMs > 0) await this.clock.sleep(this.createDelayMs, signal);
      const failure = this.failures.shift();
      if (failure !== undefined) throw failure;
      const connection = { id: this.created.length + 1, key, alive: true };
      this.created.push(connection);
      return connection;
    } finally {
      this.inFlight--;
    }
  }

  destroy(connection: FakeConnection): void {
    connection.alive = false;
    this.destroyed.push(connection);
  }

  isAlive(connection: FakeConnection): Promise<boolean> | boolean {
    this.aliveChecks++;
    if (this.aliveResult === "throw") throw new Error("check exploded");
    if (this.aliveResult === "reject") return Promise.reject(new Error("check rejected"));
    return connection.alive;
  }
}

function setup(
  options: Partial<PoolOptions<FakeConnection>> = {},
  createDelayMs = 0,
) {
  const clock = new VirtualClock(0);
  const connector = new FakeConnector(clock, createDelayMs);
  const pool = new KeyedPool<FakeConnection>({
    connector,
    clock,
    reapIntervalMs: 0,
    ...options,
  });
  const disposals: [number, DisposeReason][] = [];
  pool.events.on("destroy", ({ connection, reason }) => disposals.push([connection.id, reason]));
  return { clock, connector, pool, disposals };
}

Deno.test("single-flight: concurrent acquires for one key open one connection", async () => {
  const { clock, connector, pool } = setup({ maxPerKey: 1 }, 10);
  const served: number[] = [];
  const leases = [0, 1, 2, 3, 4].map((index) =>
    pool.acquire("kitty-1").then((lease) => {
      served.push(index);
      return lease;
    })
  );
  await clock.advance(10);
  assert.deepEqual(served, [0], "one connection, one holder; the others wait");
  assert.equal(connector.createCalls, 1);
  const first = await leases[0]!;
  assert.equal(first.reused, false);
  for (let index = 1; index < leases.length; index++) {
    const previous = await leases[index - 1]!;
    previous.release();
    const next = await leases[index]!;
    assert.equal(next.connection, first.connection);
    assert.equal(next.reused, true);
  }
  (await leases[4]!).release();
  assert.deepEqual(served, [0, 1, 2, 3, 4], "served in arrival order");
  assert.equal(connector.createCalls, 1);
  assert.equal(pool.stats().reused, 4);
});

Deno.test("single-flight: never two creations in flight for one key, even with maxPerKey 3", async () => {
  const { clock, connector, pool } = setup({ maxPerKey: 3 }, 10);
  const leases = [1, 2, 3].map(() => pool.acquire("a"));
  await clock.advance(30);
  const connections = await Promise.all(leases);
  assert.equal(connector.maxInFlight, 1);
  assert.equal(new Set(connections.map((lease) => lease.connection.id)).size, 3);
  assert.equal(pool.keyStats("a").leased, 3);
});

Deno.test("a failing create fails every acquire waiting on it once, without spinning", async () => {
  const { clock, connector, pool } = setup({}, 10);
  connector.failures.push(new ConnectionError("refused", "kitty 1: refused"));
  const leases = [1, 2, 3].map(() => pool.acquire("kitty-1"));
  const settled = Promise.allSettled(leases);
  await clock.advance(10);
  const results = await settled;
  assert.deepEqual(results.map((result) => result.status), ["rejected", "rejected", "rejected"]);
  assert.equal(connector.createCalls, 1);
  assert.equal(pool.stats().failed, 1);
  await clock.advance(60_000);
  assert.equal(connector.createCalls, 1, "no background re-creation after a failure");
  const lease = pool.acquire("kitty-1");
  await clock.advance(10);
  assert.equal((await lease).connection.id, 1);
});

Deno.test("per-key max: acquire waits for a release and gets the released connection", async () => {
  const { clock, pool } = setup({ maxPerKey: 1 });
  const first = await pool.acquire("a");
  let secondDone = false;
  const second = pool.acquire("a").then((lease) => {
    secondDone = true;
    return lease;
  });
  await clock.advance(5000);
  assert.equal(secondDone, false);
  assert.equal(pool.stats().waiting, 1);
  first.release();
  const lease = await second;
  assert.equal(lease.connection, first.connection);
});

Deno.test("per-key max: acquire rejects with `busy` after acquireTimeoutMs", async () => {
  const { clock, pool } = setup({ maxPerKey: 1, acquireTimeoutMs: 2000 });
  await pool.acquire("a");
  const waiting = assert.rejects(pool.acquire("a"), (error: unknown) => {
    assert.ok(error instanceof ConnectionError);
    assert.equal(error.category, "busy");
    assert.match(error.message, /no connection free within 2000 ms/);
    return true;
  });
  await clock.advance(1999);
  assert.equal(pool.stats().waiting, 1);
  await clock.advance(1);
  await waiting;
  assert.equal(pool.stats().waiting, 0);
});

Deno.test("a creation slower than acquireTimeoutMs rejects the acquire with `timeout`", async () => {
  const { clock, pool } = setup({ acquireTimeoutMs: 100 }, 500);
  const acquiring = assert.rejects(pool.acquire("a"), { category: "timeout" });
  await clock.advance(100);
  await acquiring;
  await clock.advance(400);
  assert.equal(pool.keyStats("a").idle, 1, "the late connection is kept for the next acquire");
});

Deno.test("acquire stops waiting when its signal aborts", async () => {
  const { clock, pool } = setup({ maxPerKey: 1, acquireTimeoutMs: 0 });
  await pool.acquire("a");
  const controller = new AbortController();
  const waiting = pool.acquire("a", { signal: controller.signal });
  await clock.advance(10);
  controller.abort(new Error("user gave up"));
  await assert.rejects(waiting, /user gave up/);
  await assert.rejects(
    pool.acquire("a", { signal: AbortSignal.abort(new Error("early")) }),
    /early/,
  );
});

Deno.test("global max: the least recently used idle connection is evicted", async () => {
  const { clock, connector, pool, disposals } = setup({ maxTotal: 2 });
  (await pool.acquire("a")).release();
  await clock.advance(10);
  (await pool.acquire("b")).release();
  await clock.advance(10);
  (await pool.acquire("a")).release(); // a is now the most recently used
  await clock.advance(10);
  const c = await pool.acquire("c");
  assert.deepEqual(disposals, [[2, "evicted"]]);
  assert.equal(c.connection.id, 3);
  assert.deepEqual(connector.destroyed.map((connection) => connection.key), ["b"]);
  assert.equal(pool.stats().evicted, 1);
  assert.equal(pool.keyStats("a").idle, 1);
});

Deno.test("global max: leased connections are never evicted; acquire waits for a release", async () => {
  const { clock, pool, disposals } = setup({ maxTotal: 2 });
  const a = await pool.acquire("a");
  const b = await pool.acquire("b");
  let cDone = false;
  const c = pool.acquire("c").then((lease) => {
    cDone = true;
    return lease;
  });
  await clock.advance(1000);
  assert.equal(cDone, false);
  assert.deepEqual(disposals, []);
  a.release();
  const lease = await c;
  assert.equal(lease.key, "c");
  assert.deepEqual(disposals, [[1, "evicted"]]);
  assert.equal(pool.stats().leased, 2);
  b.release();
});

Deno.test("idle timeout: the reaper closes a connection idle for idleTimeoutMs", async () => {
  const { clock, pool, disposals } = setup({ idleTimeoutMs: 1000, reapIntervalMs: 250 });
  (await pool.acquire("a")).release();
  await clock.advance(750);
  assert.deepEqual(disposals, []);
  await clock.advance(250);
  assert.deepEqual(disposals, [[1, "idle_timeout"]]);
  assert.equal(pool.stats().expired, 1);
  assert.equal(pool.stats().idle, 0);
});

Deno.test("idle timeout is also enforced on acquire, before the reaper runs", async () => {
  const { clock, connector, pool, disposals } = setup({ idleTimeoutMs: 1000 });
  (await pool.acquire("a")).release();
  await clock.advance(1000);
  const lease = await pool.acquire("a");
  assert.equal(lease.reused, false);
  assert.equal(connector.createCalls, 2);
  assert.deepEqual(disposals, [[1, "idle_timeout"]]);
});

Deno.test("reuse resets the idle clock", async () => {
  const { clock, pool, disposals } = setup({ idleTimeoutMs: 1000, reapIntervalMs: 100 });
  for (let i = 0; i < 5; i++) {
    (await pool.acquire("a")).release();
    await clock.advance(900);
  }
  assert.deepEqual(disposals, []);
  assert.equal(pool.stats().reused, 4);
});

Deno.test("max lifetime: an idle connection past its lifetime is closed", async () => {
  const { clock, pool, disposals } = setup({
    maxLifetimeMs: 5000,
    idleTimeoutMs: 0,
    reapIntervalMs: 1000,
  });
  const lease = await pool.acquire("a");
  await clock.advance(4000);
  lease.release();
  await clock.advance(999);
  assert.deepEqual(disposals, []);
  await clock.advance(1);
  assert.deepEqual(disposals, [[1, "max_lifetime"]]);
});

Deno.test("max lifetime: a leased connection is never closed mid-use, it is retired on release", async () => {
  const { clock, connector, pool, disposals } = setup({
    maxLifetimeMs: 5000,
    idleTimeoutMs: 0,
    reapIntervalMs: 1000,
  });
  const lease = await pool.acquire("a");
  await clock.advance(20_000);
  assert.deepEqual(disposals, []);
  assert.equal(lease.connection.alive, true);
  lease.release();
  assert.deepEqual(disposals, [[1, "max_lifetime"]]);
  const next = await pool.acquire("a");
  assert.equal(next.connection.id, 2);
  assert.equal(connector.createCalls, 2);
  assert.equal(pool.stats().expired, 1);
});

Deno.test("aliveness: a dead idle connection is discarded and a new one created", async () => {
  const { connector, pool, disposals } = setup();
  const first = await pool.acquire("a");
  assert.equal(connector.aliveChecks, 0, "a fresh connection is not checked");
  first.release();
  first.connection.alive = false; // the peer closed while it idled
  const second = await pool.acquire("a");
  assert.equal(connector.aliveChecks, 1);
  assert.equal(second.connection.id, 2);
  assert.equal(second.reused, false);
  assert.deepEqual(disposals, [[1, "not_alive"]]);
  assert.equal(pool.stats().discarded, 1);
});

Deno.test("aliveness: a throwing or rejecting check counts as dead, without unhandled rejections", async () => {
  for (const mode of ["throw", "reject"] as const) {
    const { connector, pool, disposals } = setup();
    (await pool.acquire("a")).release();
    connector.aliveResult = mode;
    const lease = await pool.acquire("a");
    assert.equal(lease.connection.id, 2, mode);
    assert.deepEqual(disposals, [[1, "not_alive"]], mode);
  }
});

Deno.test("close() during an aliveness check rejects that acquire with `closed`", async () => {
  const clock = new VirtualClock(0);
  const connector = new FakeConnector(clock);
  let answer!: (alive: boolean) => void;
  connector.isAlive = () => new Promise<boolean>((resolve) => answer = resolve);
  const pool = new KeyedPool({ connector, clock, reapIntervalMs: 0 });
  (await pool.acquire("a")).release();
  const acquiring = pool.acquire("a");
  await clock.advance(0);
  const closing = pool.close();
  answer(true);
  await assert.rejects(acquiring, { category: "closed" });
  await closing;
  assert.equal(connector.destroyed.length, 1);
});

Deno.test("release({broken: true}) discards the connection", async () => {
  const { pool, disposals } = setup();
  const lease = await pool.acquire("a");
  lease.release({ broken: true });
  lease.release(); // a second release is ignored
  assert.deepEqual(disposals, [[1, "broken"]]);
  assert.equal((await pool.acquire("a")).connection.id, 2);
  assert.equal(pool.stats().discarded, 1);
});

Deno.test("use() releases on success and discards on error unless keepOnError says so", async () => {
  const { pool, disposals } = setup();
  assert.equal(await pool.use("a", (connection) => connection.id * 10), 10);
  assert.equal(pool.keyStats("a").idle, 1);
  await assert.rejects(
    pool.use("a", () => {
      throw new ConnectionError("protocol", "bad reply");
    }),
    /bad reply/,
  );
  assert.deepEqual(disposals, [[1, "broken"]]);
  await assert.rejects(
    pool.use("a", () => Promise.reject(new Error("kitty said: no such window")), {
      keepOnError: (error) => (error as Error).message.startsWith("kitty said"),
    }),
  );
  assert.equal(pool.keyStats("a").idle, 1);
  assert.equal(disposals.length, 1);
});

Deno.test("the reaper runs on an unref'd timer and re-arms itself", async () => {
  const { clock, pool } = setup({ reapIntervalMs: 300_000 });
  assert.deepEqual(clock.pending(), [{ at: 300_000, unref: true }]);
  await clock.advance(300_000);
  assert.deepEqual(clock.pending(), [{ at: 600_000, unref: true }]);
  await pool.close();
  assert.deepEqual(clock.pending(), []);
});

Deno.test("close() waits for outstanding leases, then closes everything", async () => {
  const { clock, pool, disposals } = setup({ maxPerKey: 2 });
  const leased = await pool.acquire("a");
  (await pool.acquire("b")).release();
  let closed = false;
  const closing = pool.close().then(() => closed = true);
  await clock.advance(1000);
  assert.equal(closed, false);
  assert.deepEqual(disposals, [[2, "closed"]], "idle ones close at once");
  await assert.rejects(pool.acquire("a"), { category: "closed" });
  leased.release();
  await closing;
  assert.deepEqual(disposals, [[2, "closed"], [1, "closed"]]);
  assert.equal(pool.stats().idle + pool.stats().leased, 0);
});

Deno.test("close() rejects waiting acquires and aborts creations in flight", async () => {
  const { clock, connector, pool } = setup({ maxPerKey: 1, acquireTimeoutMs: 0 }, 1000);
  const first = pool.acquire("a");
  await clock.advance(1000);
  const lease = await first;
  const waiting = pool.acquire("a");
  const creating = pool.acquire("b");
  await clock.advance(10);
  assert.equal(pool.stats().waiting, 1);
  assert.equal(pool.stats().creating, 1);
  const closing = pool.close();
  await assert.rejects(waiting, { category: "closed" });
  assert.equal(connector.lastSignal?.aborted, true);
  await assert.rejects(creating, { category: "closed" });
  lease.release();
  await closing;
  assert.equal(pool.stats().destroyed, 1);
});

Deno.test("stats count created, reused, evicted, expired, discarded, failed and current state", async () => {
  const { clock, connector, pool } = setup({ maxTotal: 2, idleTimeoutMs: 100 });
  (await pool.acquire("a")).release(); // created 1
  (await pool.acquire("a")).release(); // reused 1
  (await pool.acquire("b")).release(); // created 2
  const c = await pool.acquire("c"); // evicts a (LRU), created 3
  (await pool.acquire("b")).release({ broken: true }); // reused 2, discarded 1
  connector.failures.push(new ConnectionError("refused", "no"));
  await assert.rejects(pool.acquire("d")); // failed 1
  await clock.advance(100);
  (await pool.acquire("e")).release(); // created 4
  await clock.advance(100);
  await pool.reap(); // e idle-expired
  assert.deepEqual(pool.stats(), {
    created: 4,
    reused: 2,
    evicted: 1,
    expired: 1,
    discarded: 1,
    failed: 1,
    destroyed: 3,
    idle: 0,
    leased: 1,
    creating: 0,
    waiting: 0,
  });
  c.release();
});

Deno.test("create and destroy events carry the key and connection", async () => {
  const { pool } = setup();
  const events: string[] = [];
  pool.events.on("create", ({ key, connection }) => events.push(`create ${key} ${connection.id}`));
  pool.events.on("destroy", ({ key, reason }) => events.push(`destroy ${key} ${reason}`));
  pool.events.on("create_failed", ({ key }) => events.push(`failed ${key}`));
  (await pool.acquire("a")).release({ broken: true });
  await pool.close();
  assert.deepEqual(events, ["create a 1", "destroy a broken"]);
});

Deno.test("warm() keeps minOpenPerKey open: at start and again after each disposal", async () => {
  const { clock, connector, pool } = setup({ maxPerKey: 1, minOpenPerKey: 1 }, 10);
  const warming = pool.warm("bridge");
  await clock.advance(10);
  await warming;
  assert.deepEqual(pool.keyStats("bridge"), { idle: 1, leased: 0, creating: false, warm: true });
  const lease = pool.acquire("bridge");
  (await lease).release({ broken: true });
  assert.equal(pool.keyStats("bridge").creating, true, "replenishing at once");
  await clock.advance(10);
  assert.equal(pool.keyStats("bridge").idle, 1);
  assert.equal(connector.createCalls, 2);
});

Deno.test("a connection opened in the background is checked for aliveness before first use", async () => {
  const { connector, pool, disposals } = setup({ maxPerKey: 1, minOpenPerKey: 1 });
  await pool.warm("bridge");
  const background = pool.keyStats("bridge");
  assert.deepEqual(background, { idle: 1, leased: 0, creating: false, warm: true });
  connector.created[0]!.alive = false; // the bridge dropped it while it idled
  const lease = await pool.acquire("bridge");
  assert.ok(connector.aliveChecks >= 1);
  assert.equal(lease.connection.id, 2);
  assert.equal(lease.reused, false);
  assert.deepEqual(disposals, [[1, "not_alive"]]);
  lease.release();
  assert.equal((await pool.acquire("bridge")).reused, true);
});

Deno.test("a failed replenish is retried on the next reaper pass, not in a loop", async () => {
  const { clock, connector, pool } = setup({
    maxPerKey: 1,
    minOpenPerKey: 1,
    reapIntervalMs: 1000,
    idleTimeoutMs: 0,
  });
  await pool.warm("bridge");
  connector.failures.push(new ConnectionError("refused", "bridge down"));
  (await pool.acquire("bridge")).release({ broken: true });
  await clock.advance(999);
  assert.equal(connector.createCalls, 2, "one replenish attempt, failed");
  assert.equal(pool.keyStats("bridge").idle, 0);
  await clock.advance(1);
  assert.equal(connector.createCalls, 3);
  assert.equal(pool.keyStats("bridge").idle, 1);
});

Deno.test("warm() rejects when the first connect fails; the key stays warm", async () => {
  const { connector, pool } = setup({ minOpenPerKey: 1 });
  connector.failures.push(new ConnectionError("refused", "bridge down"));
  await assert.rejects(pool.warm("bridge"), /bridge down/);
  assert.equal(pool.keyStats("bridge").warm, true);
  await pool.reap();
  assert.equal(pool.keyStats("bridge").idle, 1);
});

Deno.test("forget() closes idle connections now and retires leased ones on release", async () => {
  const { pool, disposals } = setup({ maxPerKey: 2 });
  const leased = await pool.acquire("kitty-9");
  (await pool.acquire("kitty-9")).release();
  pool.forget("kitty-9");
  assert.deepEqual(disposals, [[2, "evicted"]]);
  assert.equal(pool.stats().leased, 1);
  leased.release();
  assert.deepEqual(disposals, [[2, "evicted"], [1, "evicted"]]);
  assert.equal(pool.stats().leased + pool.stats().idle, 0);
  assert.equal((await pool.acquire("kitty-9")).connection.id, 3);
});

Deno.test("options are validated", () => {
  const clock = new VirtualClock(0);
  const connector = new FakeConnector(clock);
  assert.throws(() => new KeyedPool({ connector, maxPerKey: 0 }), RangeError);
  assert.throws(() => new KeyedPool({ connector, maxTotal: 1.5 }), RangeError);
  assert.throws(() => new KeyedPool({ connector, idleTimeoutMs: -1 }), RangeError);
  assert.throws(() => new KeyedPool({ connector, minOpenPerKey: 2, maxPerKey: 1 }), RangeError);
});

Deno.test("a pool with a reaper on the real clock does not keep a finished process alive", () => {
  // Its reaper timer is unref'd: a script that acquires and releases a connection, then just
  // ends without close(), exits at once instead of waiting for the 10 min reaper period.
  const module = new URL("../../src/resilience/pool.ts", import.meta.url).href;
  const script = `
    import { KeyedPool } from ${JSON.stringify(module)};
    const pool = new KeyedPool({
      connector: { create: async () => ({}), destroy: () => {} },
      reapIntervalMs: 600_000,
      idleTimeoutMs: 1_200_000,
    });
    const lease = await pool.acquire("k");
    lease.release();
    console.log(JSON.stringify(pool.stats().idle));
  `;
  const child = spawnSync(process.execPath, ["eval", "--quiet", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(child.signal, null, "killed by the 20 s limit: the reaper kept the process alive");
  assert.equal(child.status, 0, child.stderr);
  assert.equal(
    child.stdout.trim(),
    "1",
    "the idle connection is still pooled when the script ends",
  );
});
