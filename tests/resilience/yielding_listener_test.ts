import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenYielding } from "../../src/resilience/yielding_listener.ts";
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
  const listener = await listenYielding(path, echo, { acceptsPerTurn: 1 });
  try {
    for (let request = 0; request < 40; request++) {
      assert.equal(await ask(path, `r${request}`), `echo r${request}`);
      const stats = statSync(path);
      assert.ok(stats.isSocket());
      assert.equal(stats.mode & 0o777, 0o600);
    }
    assert.ok(listener.replacements >= 20, `${listener.replacements} switches in 40 requests`);
    // Only the socket and the one spare (hidden, under its temporary name) are there.
    const names = readdirSync(dir);
    assert.ok(names.includes("c.sock"));
    assert.ok(names.every((name) => name === "c.sock" || /^\.c\.sock\.\d+\.\d+\.next$/.test(name)));
    assert.ok(names.length <= 2, names.join(", "));
  } finally {
    await listener.close();
  }
  assert.deepEqual(readdirSync(dir), [], "close removes the socket and the spare");
  rmSync(dir, { recursive: true, force: true });
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
