import assert from "node:assert/strict";
import {
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { spawnSync } from "node:child_process";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenYielding } from "../../src/resilience/yielding_listener.ts";
import { readListenerFiles } from "../../src/sockets/listener_files.ts";
import { tempDir } from "../support/temp_dir.ts";

/** Connects, sends a line, and resolves with the echoed reply. */
function ask(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let reply = "";
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(text + "\n"));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      if (reply.endsWith("\n")) {
        socket.destroy();
        resolve(reply.trim());
      }
    });
    socket.once("error", reject);
  });
}

const echo = (socket: import("node:net").Socket) => {
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => socket.end(`echo ${chunk}`));
  socket.on("error", () => socket.destroy());
};

Deno.test("a yielding listener switches to its spare without the path ever missing a listener, always 0600", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-yielding-"));
  const path = join(dir, "c.sock");
  // One accept per turn: every connection makes it switch (when the spare is ready).
  const listener = await listenYielding(path, echo, { acceptsPerTurn: 1, starvedAfterMs: 0 });
  try {
    for (let request = 0; request < 40; request++) {
      assert.equal(await ask(path, `r${request}`), `echo r${request}`);
      const stats = statSync(path);
      assert.ok(stats.isSocket());
      assert.equal(stats.mode & 0o777, 0o600);
    }
    assert.ok(listener.replacements >= 20, `${listener.replacements} switches in 40 requests`);
    // The socket, its bound name linked back to it, and at most one spare (hidden names).
    const names = readdirSync(dir);
    assert.ok(names.includes("c.sock"));
    assert.ok(names.every((name) => name === "c.sock" || /^\.c\.sock\.\d+\.\d+\.next$/.test(name)));
    assert.ok(names.length <= 3, names.join(", "));
    const inode = statSync(path).ino;
    assert.equal(
      names.filter((name) => name !== "c.sock" && statSync(join(dir, name)).ino === inode).length,
      1,
      "the listener's bound name leads to the socket at the path",
    );
    // cleanup's matching by bound paths (no `ss`) finds it: no doubt about this directory.
    const listeners = readListenerFiles({
      runtimeDev: statSync(dir).dev,
      listOwnNamespace: () => null,
    });
    assert.ok(listeners.alive.has(inode));
    assert.ok(!(listeners.doubt ?? "").includes(dir), listeners.doubt ?? "");
  } finally {
    await listener.close();
  }
  assert.deepEqual(readdirSync(dir), [], "close removes the socket and the spare");
  rmSync(dir, { recursive: true, force: true });
});

Deno.test("a yielding listener switches only when accepting has held the event loop for starvedAfterMs", async () => {
  await using temp = await tempDir("tether-yielding-");
  const path = join(temp.path, "c.sock");
  // Every accept is over the count, but none starves the loop for an hour.
  const listener = await listenYielding(path, echo, {
    acceptsPerTurn: 1,
    starvedAfterMs: 3_600_000,
  });
  try {
    await Promise.all(Array.from({ length: 20 }, (_, request) => ask(path, `r${request}`)));
    assert.equal(listener.replacements, 0);
  } finally {
    await listener.close();
  }
});

Deno.test("a yielding listener that never floods never switches", async () => {
  await using temp = await tempDir("tether-yielding-");
  const dir = temp.path;
  const path = join(dir, "c.sock");
  const listener = await listenYielding(path, echo);
  try {
    for (let request = 0; request < 20; request++) {
      assert.equal(await ask(path, "x"), "echo x");
    }
    assert.equal(listener.replacements, 0);
  } finally {
    await listener.close();
  }
});

Deno.test("a yielding listener reports a path it cannot bind as a ConnectionError", async () => {
  await assert.rejects(
    listenYielding("/nonexistent-dir-of-tether/c.sock", echo),
    { name: "ConnectionError" },
  );
});

Deno.test("a yielding listener removes the hidden names a killed daemon left, and only those", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-yielding-"));
  const path = join(dir, "c.sock");
  // A dead process's leftover socket, a live process's (this one's parent: kept), and a
  // regular file with the same kind of name (kept: only sockets are ever removed).
  const dead = spawnSync("true").pid!;
  const leftovers = [`.c.sock.${dead}.0.next`, `.c.sock.${process.ppid}.0.next`];
  const holders = await Promise.all(leftovers.map(async (name) => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ path: join(dir, name) }, () => resolve()));
    return server;
  }));
  // Closing would unlink them; keep the files as a killed daemon would: hard links first.
  for (const name of leftovers) linkSync(join(dir, name), join(dir, `${name}.keep`));
  for (const server of holders) await new Promise((resolve) => server.close(resolve));
  for (const name of leftovers) renameSync(join(dir, `${name}.keep`), join(dir, name));
  writeFileSync(join(dir, `.c.sock.${dead}.1.next`), "not a socket");
  const listener = await listenYielding(path, echo);
  try {
    const names = readdirSync(dir);
    assert.ok(!names.includes(leftovers[0]!), "the dead process's socket is removed");
    assert.ok(names.includes(leftovers[1]!), "a live process's is kept");
    assert.ok(names.includes(`.c.sock.${dead}.1.next`), "a regular file is kept");
  } finally {
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("a yielding listener's close removes its path at once, and never a socket someone else put there", async () => {
  await using dir = await tempDir("tether-yielding-");
  const path = join(dir.path, "c.sock");
  const listener = await listenYielding(path, echo);
  // A shutdown at its deadline may exit right after calling close(): the path is gone already.
  const closing = listener.close();
  assert.ok(!existsSync(path));
  await closing;

  const other = join(dir.path, "other.sock");
  const second = await listenYielding(path, echo);
  const replacement = await listenYielding(other, echo);
  renameSync(other, path); // another daemon's socket now at the path
  await second.close();
  assert.ok(existsSync(path), "the other daemon's socket is kept");
  await replacement.close();
});
