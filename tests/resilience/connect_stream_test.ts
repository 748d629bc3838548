import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectStream } from "../../src/resilience/connect_stream.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const category = (expected: string) => (error: unknown) =>
  error instanceof ConnectionError && error.category === expected;

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tether-connect-stream-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

async function readText(socket: Socket): Promise<string> {
  return await new Promise<string>((resolve) =>
    socket.once("data", (data: Uint8Array) => resolve(new TextDecoder().decode(data)))
  );
}

Deno.test("connectStream resolves with a connected unix socket, its timer cleared", async () => {
  const { dir, remove } = tempDir();
  const path = join(dir, "peer.sock");
  const server = createServer((socket) => socket.end("hi"));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const clock = new VirtualClock(0);
  try {
    const socket = await connectStream({ path }, { timeoutMs: 10_000, clock });
    assert.deepEqual(clock.pending(), [], "no timer outlives the connect");
    const text = await readText(socket);
    socket.destroy();
    assert.equal(text, "hi");
  } finally {
    await closeServer(server);
    remove();
  }
});

Deno.test("connectStream connects over TCP too; a closed port is refused, naming host:port", async () => {
  const server = createServer((socket) => socket.end("tcp"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const socket = await connectStream({ host: "127.0.0.1", port }, { timeoutMs: 10_000 });
    assert.equal(await readText(socket), "tcp");
    socket.destroy();
  } finally {
    await closeServer(server);
  }
  await assert.rejects(
    connectStream({ host: "127.0.0.1", port }, { timeoutMs: 10_000, context: "bridge" }),
    (error: unknown) =>
      category("refused")(error) &&
      (error as Error).message.startsWith(`bridge 127.0.0.1:${port}:`),
  );
});

Deno.test("connectStream: a missing socket is not_configured, a plain file refused", async () => {
  const { dir, remove } = tempDir();
  try {
    await assert.rejects(
      connectStream({ path: join(dir, "missing.sock") }, { timeoutMs: 10_000 }),
      category("not_configured"),
    );
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "");
    await assert.rejects(connectStream({ path: file }, { timeoutMs: 10_000 }), category("refused"));
  } finally {
    remove();
  }
});

Deno.test("connectStream: the timeout fires only when the clock reaches it; socket destroyed", async () => {
  const clock = new VirtualClock(0);
  let opened: Socket | null = null;
  let settled = false;
  const connecting = connectStream({ path: "/nowhere.sock" }, {
    timeoutMs: 1000,
    context: "kitty 4121",
    clock,
    // A socket never told to connect never emits "connect".
    connector: () => (opened = new Socket()),
  }).finally(() => (settled = true));
  connecting.catch(() => {});
  await clock.advance(999);
  assert.equal(settled, false, "still connecting 1 ms before the timeout");
  await clock.advance(1);
  await assert.rejects(
    connecting,
    (error: unknown) =>
      category("timeout")(error) &&
      (error as Error).message === "kitty 4121: connect timed out after 1000 ms",
  );
  assert.equal((opened as Socket | null)?.destroyed, true);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("connectStream: an abort gives up at once as a timeout, socket destroyed, timer cleared", async () => {
  const clock = new VirtualClock(0);
  const controller = new AbortController();
  let opened: Socket | null = null;
  const connecting = connectStream({ host: "bridge.invalid", port: 10001 }, {
    timeoutMs: 1000,
    clock,
    signal: controller.signal,
    connector: () => (opened = new Socket()),
  });
  const reason = new Error("caller stopped");
  controller.abort(reason);
  await assert.rejects(connecting, (error: unknown) => {
    assert.ok(category("timeout")(error));
    assert.equal((error as Error).message, "bridge.invalid:10001: gave up connecting");
    assert.equal((error as Error).cause, reason);
    return true;
  });
  assert.equal((opened as Socket | null)?.destroyed, true);
  assert.deepEqual(clock.pending(), []);
});

Deno.test("connectStream: an already aborted signal opens no socket", async () => {
  let opened = 0;
  await assert.rejects(
    connectStream({ path: "/nowhere.sock" }, {
      timeoutMs: 1000,
      clock: new VirtualClock(0),
      signal: AbortSignal.abort(),
      connector: () => (opened++, new Socket()),
    }),
    category("timeout"),
  );
  assert.equal(opened, 0);
});

Deno.test("connectStream: a refused connect names the path once, with the errno", async () => {
  const { dir, remove } = tempDir();
  try {
    const file = join(dir, "sway-ipc.0.1.sock");
    writeFileSync(file, "");
    for (const context of [undefined, "sway", `sway ${file}`]) {
      await assert.rejects(
        connectStream({ path: file }, { timeoutMs: 10_000, context }),
        (error: Error) => {
          assert.equal(error.message.split(file).length - 1, 1, error.message);
          assert.match(error.message, /ECONNREFUSED/);
          return true;
        },
      );
    }
  } finally {
    remove();
  }
});
