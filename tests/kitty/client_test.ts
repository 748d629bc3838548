import assert from "node:assert/strict";
import { Socket } from "node:net";
import { KittyConnection } from "../../src/kitty/client.ts";
import { lsCommand, setFontSizeCommand } from "../../src/kitty/codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { waitFor } from "../support/wait.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
import { startFakeKitty } from "../fakes/kitty_server.ts";

const isCategory = (category: string) => (error: unknown) =>
  error instanceof ConnectionError && error.category === category;

Deno.test("KittyConnection: pipelined requests are matched to replies in order", async () => {
  const server = await startFakeKitty((request) => ({
    ok: true,
    data: (request.payload as { size: number }).size,
  }));
  const connection = await KittyConnection.open(server.socketPath);
  try {
    const replies = await Promise.all(
      [1, 2, 3].map((size) => connection.request(setFontSizeCommand({ size }))),
    );
    assert.deepEqual(replies.map((reply) => reply.data), [1, 2, 3]);
    assert.equal(server.connections, 1);
    assert.equal(connection.requestCount, 3);
  } finally {
    await connection.close();
    await server.close();
  }
});

Deno.test("KittyConnection: error replies resolve; the caller decides", async () => {
  const server = await startFakeKitty(() => ({ ok: false, error: "nope" }));
  const connection = await KittyConnection.open(server.socketPath);
  try {
    assert.deepEqual(await connection.request(lsCommand()), { ok: false, error: "nope" });
    assert.equal(connection.usable, true);
  } finally {
    await connection.close();
    await server.close();
  }
});

Deno.test("KittyConnection: a timeout (on the clock) fails every open request and the connection", async () => {
  let received = 0;
  const server = await startFakeKitty(() => (received++, null));
  const clock = new VirtualClock(0);
  const connection = await KittyConnection.open(server.socketPath, { clock });
  try {
    const first = connection.request(lsCommand(), { timeoutMs: 30 });
    const second = connection.request(lsCommand(), { timeoutMs: 10_000 });
    first.catch(() => {});
    second.catch(() => {});
    await waitFor("kitty to get both requests", () => received === 2 || undefined, 5000, 1);
    await clock.advance(29);
    assert.equal(connection.usable, true, "still waiting 1 ms before the first timeout");
    await clock.advance(1);
    assert.equal(connection.usable, false, "the first timeout fails the connection");
    await assert.rejects(first, /no reply within 30 ms/);
    await assert.rejects(second, isCategory("timeout"));
    assert.deepEqual(clock.pending(), [], "no timer outlives the connection");
    await assert.rejects(connection.request(lsCommand()), isCategory("timeout"));
  } finally {
    await connection.close();
    await server.close();
  }
});

Deno.test("KittyConnection: silence means auth when asked, and auth is not recoverable", async () => {
  const server = await startFakeKitty(() => null);
  const clock = new VirtualClock(0);
  const connection = await KittyConnection.open(server.socketPath, { clock });
  try {
    const request = connection.request(lsCommand(), { timeoutMs: 30, silenceMeans: "auth" });
    request.catch(() => {});
    await clock.advance(30);
    assert.equal(connection.usable, false, "the timeout fails the connection");
    await assert.rejects(
      request,
      (error: unknown) => isCategory("auth")(error) && !(error as ConnectionError).recoverable,
    );
  } finally {
    await connection.close();
    await server.close();
  }
});

Deno.test("KittyConnection: kitty closing mid-request is 'closed'", async () => {
  const hooks: { onRequest?: () => void } = {};
  const server = await startFakeKitty(() => {
    hooks.onRequest?.();
    return null;
  });
  hooks.onRequest = () => void server.close();
  const connection = await KittyConnection.open(server.socketPath);
  await assert.rejects(connection.request(lsCommand(), { timeoutMs: 5000 }), isCategory("closed"));
  await connection.close();
});

Deno.test("KittyConnection: close half-closes and waits for kitty's side", async () => {
  const server = await startFakeKitty(() => ({ ok: true }));
  const connection = await KittyConnection.open(server.socketPath);
  try {
    await connection.request(lsCommand());
    await connection.close();
    assert.equal(server.closedConnections, 1);
    assert.equal(connection.usable, false);
  } finally {
    await server.close();
  }
});

Deno.test("KittyConnection: garbage from the peer is a protocol error", async () => {
  const server = await startFakeKitty(() => ({ notOk: 1 }));
  const connection = await KittyConnection.open(server.socketPath);
  try {
    await assert.rejects(connection.request(lsCommand()), isCategory("protocol"));
  } finally {
    await connection.close();
    await server.close();
  }
});

Deno.test("KittyConnection.open: a connector that never connects times out on the clock", async () => {
  const clock = new VirtualClock(0);
  const opening = KittyConnection.open("/x.sock", {
    connectTimeoutMs: 20,
    clock,
    // A socket never told to connect never emits "connect".
    connector: () => new Socket(),
  });
  let settled = false;
  opening.catch(() => {}).finally(() => (settled = true));
  await clock.advance(19);
  assert.equal(settled, false, "still connecting 1 ms before the timeout");
  await clock.advance(1);
  assert.equal(settled, true, "given up at the timeout");
  await assert.rejects(opening, isCategory("timeout"));
});
