import assert from "node:assert/strict";
import { createBridgePool } from "../../src/conbus/bridge_pool.ts";
import { poolConnectionLoss } from "../../src/conbus/pool_connection_loss.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { flushMicrotasks, VirtualClock } from "../support/virtual_clock.ts";
import { MemoryConnection } from "./memory_connection.ts";

function setup(failConnects: number) {
  const clock = new VirtualClock();
  const connections: MemoryConnection[] = [];
  let failures = failConnects;
  const pool = createBridgePool({ host: "bridge.test", port: 10001 }, {
    keepOpen: true,
    clock,
    connect: () => {
      if (connections.length > 0 && failures > 0) {
        failures--;
        return Promise.reject(new ConnectionError("refused", "connect ECONNREFUSED"));
      }
      connections.push(new MemoryConnection());
      return Promise.resolve(connections.at(-1)!);
    },
  });
  return { clock, connections, pool, key: "bridge.test:10001" };
}

async function watch(failConnects: number) {
  const context = setup(failConnects);
  await context.pool.warm(context.key);
  const lifecycle = new AbortController();
  let lost: unknown = null;
  void poolConnectionLoss(context.pool, context.key, context.connections[0]!, {
    clock: context.clock,
    signal: lifecycle.signal,
  }).then((reason) => lost = reason);
  return { ...context, lifecycle, lost: () => lost };
}

Deno.test("a connection the pool discards and replaces is not a loss; the replacement dying on its own is", async () => {
  const { pool, key, connections, lost, lifecycle } = await watch(0);
  (await pool.acquire(key)).release({ broken: true }); // a suspect connection after no reply
  await flushMicrotasks();
  assert.equal(connections.length, 2, "replaced at once (min idle 1)");
  assert.equal(lost(), null);
  connections[1]!.peerClosed();
  await flushMicrotasks();
  assert.ok(lost() instanceof ConnectionError);
  lifecycle.abort();
  await pool.close();
});

Deno.test("a replacement refused twice, then accepted within the connect policy's retries, is not a loss", async () => {
  const { pool, key, connections, lost, clock, lifecycle } = await watch(2);
  (await pool.acquire(key)).release({ broken: true });
  await flushMicrotasks(); // the replacement's connect fails; the retries start
  await clock.advance(1000); // retries at 0, +100, +200, +400 ms
  assert.equal(connections.length, 2);
  assert.equal(connections[1]!.alive, true);
  assert.equal(lost(), null);
  lifecycle.abort();
  await pool.close();
});

Deno.test("a replacement that keeps being refused is a loss once the retries are spent", async () => {
  const { pool, key, connections, lost, clock, lifecycle } = await watch(100);
  (await pool.acquire(key)).release({ broken: true });
  await flushMicrotasks();
  await clock.advance(100);
  assert.equal(lost(), null, "still retrying");
  await clock.advance(1000);
  assert.equal(connections.length, 1);
  assert.match(String(lost()), /ECONNREFUSED/);
  lifecycle.abort();
  await pool.close();
});
