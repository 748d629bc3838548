import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { connectUnix } from "../../src/resilience/unix_connect.ts";

const category = (expected: string) => (error: unknown) =>
  error instanceof ConnectionError && error.category === expected;

function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tether-unix-connect-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

Deno.test("connectUnix resolves with a connected socket", async () => {
  const { dir, remove } = tempDir();
  const path = join(dir, "peer.sock");
  const server = createServer((socket) => socket.end("hi"));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    const socket = await connectUnix(path, { timeoutMs: 10_000 });
    const text = await new Promise<string>((resolve) =>
      socket.once("data", (d) => resolve(`${d}`))
    );
    socket.destroy();
    assert.equal(text, "hi");
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    remove();
  }
});

Deno.test("connectUnix: a missing socket is not_configured, a plain file refused", async () => {
  const { dir, remove } = tempDir();
  try {
    await assert.rejects(
      connectUnix(join(dir, "missing.sock"), { timeoutMs: 10_000 }),
      category("not_configured"),
    );
    const file = join(dir, "not-a-socket");
    writeFileSync(file, "");
    await assert.rejects(connectUnix(file, { timeoutMs: 10_000 }), category("refused"));
  } finally {
    remove();
  }
});

Deno.test("connectUnix: no connect in time is a timeout naming the peer, socket destroyed", async () => {
  let opened: Socket | null = null;
  await assert.rejects(
    connectUnix("/nowhere.sock", {
      timeoutMs: 20,
      context: "kitty 4121",
      // A socket never told to connect never emits "connect".
      connector: () => (opened = new Socket()),
    }),
    (error: unknown) =>
      category("timeout")(error) && (error as Error).message.startsWith("kitty 4121:"),
  );
  assert.equal((opened as Socket | null)?.destroyed, true);
});

Deno.test("connectUnix: a refused connect names the path once, with the errno", async () => {
  const { dir, remove } = tempDir();
  try {
    const file = join(dir, "sway-ipc.0.1.sock");
    writeFileSync(file, "");
    for (const context of [undefined, "sway", `sway ${file}`]) {
      await assert.rejects(connectUnix(file, { timeoutMs: 10_000, context }), (error: Error) => {
        assert.equal(error.message.split(file).length - 1, 1, error.message);
        assert.match(error.message, /ECONNREFUSED/);
        return true;
      });
    }
  } finally {
    remove();
  }
});
