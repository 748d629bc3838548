import assert from "node:assert/strict";
import { createBridgePool, poolAcquirer, SIX_HOURS_MS } from "../../src/conbus/bridge_pool.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
import { MemoryConnection } from "./memory_connection.ts";

function setup() {
  const clock = new VirtualClock();
  const connections: MemoryConnection[] = [];
  const pool = createBridgePool({ host: "bridge.test", port: 10001 }, {
    keepOpen: true,
    clock,
    connect: () => {
      const connection = new MemoryConnection(clock.now());
      connections.push(connection);
      return Promise.resolve(connection);
    },
  });
  return { clock, connections, pool, key: "bridge.test:10001" };
}

Deno.test("min idle 1: warm opens the one connection; max 1: a second acquire waits", async () => {
  const { pool, key, connections } = setup();
  await pool.warm(key);
  assert.equal(connections.length, 1);
  const lease = await pool.acquire(key);
  const second = pool.acquire(key);
  assert.equal(pool.stats().waiting, 1);
  lease.release();
  (await second).release();
  assert.equal(connections.length, 1);
  await pool.close();
});

Deno.test("lifetime expiry on virtual time: never mid-request, replaced right after it", async () => {
  const { pool, key, connections, clock } = setup();
  await pool.warm(key);
  const lease = await pool.acquire(key);
  await clock.advance(SIX_HOURS_MS + 5 * 60_000); // collector passes run meanwhile
  assert.equal(connections[0]!.closedByUs, false, "closed while a request used it");
  assert.equal(connections.length, 1);
  lease.release();
  await clock.advance(0);
  assert.equal(connections[0]!.closedByUs, true);
  assert.equal(connections.length, 2, "min idle 1 replaces it at once");
  assert.equal(pool.stats().expired, 1);
  await pool.close();
});

Deno.test("an idle connection past 6 h is closed by the collector and replaced", async () => {
  const { pool, key, connections, clock } = setup();
  await pool.warm(key);
  await clock.advance(SIX_HOURS_MS - 60_000);
  assert.equal(connections[0]!.closedByUs, false);
  await clock.advance(2 * 60_000);
  assert.equal(connections[0]!.closedByUs, true);
  assert.equal(connections.length, 2);
  assert.equal(connections[1]!.alive, true);
  await pool.close();
});

Deno.test("the collector timer is unref'd so it never keeps a process alive", () => {
  const { clock, pool } = setup();
  const timers = clock.pending();
  assert.ok(timers.length >= 1);
  assert.ok(timers.every((timer) => timer.unref));
  void pool.close();
});

Deno.test("aliveness check: a connection the peer closed while idle is replaced on acquire", async () => {
  const { pool, key, connections } = setup();
  await pool.warm(key);
  const lease0 = await pool.acquire(key);
  lease0.release();
  connections[0]!.peerClosed();
  const lease = await pool.acquire(key);
  assert.equal(lease.connection, connections.at(-1));
  assert.notEqual(lease.connection, connections[0]);
  assert.equal(pool.stats().discarded, 1);
  lease.release();
  await pool.close();
});

Deno.test("a background-opened connection that died before first use is replaced too", async () => {
  const { pool, key, connections } = setup();
  await pool.warm(key);
  connections[0]!.peerClosed();
  const lease = await poolAcquirer(pool, { host: "bridge.test", port: 10001 })(
    new AbortController().signal,
  );
  assert.equal(lease.connection.alive, true);
  assert.equal(connections.length, 2);
  lease.release();
  await pool.close();
});

Deno.test("acquireNow: an idle live connection is leased at once (no promise); otherwise acquire's promise", async () => {
  const { pool, key, connections } = setup();
  const first = pool.acquireNow(key);
  assert.ok(first instanceof Promise, "nothing idle yet: the connection is opened");
  (await first).release();
  const now = pool.acquireNow(key);
  assert.ok(!(now instanceof Promise), "idle and alive: leased synchronously");
  assert.equal(now.connection, connections[0]);
  assert.equal(now.reused, true);
  const waiting = pool.acquireNow(key);
  assert.ok(waiting instanceof Promise, "the one connection is leased: wait");
  now.release();
  (await waiting).release();

  connections[0]!.peerClosed();
  const replaced = pool.acquireNow(key);
  assert.ok(replaced instanceof Promise, "failed the aliveness check: discarded, a new one");
  const lease = await replaced;
  assert.equal(lease.connection, connections[1]);
  assert.equal(pool.stats().discarded, 1);
  lease.release();

  await pool.close();
});

Deno.test("acquireNow: a connection past its lifetime is closed, not leased, even without the collector", async () => {
  const clock = new VirtualClock();
  const connections: MemoryConnection[] = [];
  const pool = createBridgePool({ host: "bridge.test", port: 10001 }, {
    clock,
    reapIntervalMs: 0,
    connect: () => {
      connections.push(new MemoryConnection(clock.now()));
      return Promise.resolve(connections.at(-1)!);
    },
  });
  const key = "bridge.test:10001";
  (await pool.acquire(key)).release();
  await clock.advance(SIX_HOURS_MS);
  const afterLifetime = pool.acquireNow(key);
  assert.ok(afterLifetime instanceof Promise, "past its lifetime: closed, a new one");
  const fresh = await afterLifetime;
  assert.equal(fresh.connection, connections[1]);
  assert.equal(connections[0]!.closedByUs, true);
  assert.equal(pool.stats().expired, 1);
  fresh.release();
  await pool.close();
});
