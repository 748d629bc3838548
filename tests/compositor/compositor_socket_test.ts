import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findCompositorSocket } from "../../src/compositor/compositor_socket.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";

interface Sandbox {
  runtimeDir: string;
  uid: number;
  listen(name: string): Promise<string>;
  /** A socket path nothing listens on (a crashed compositor's leftover). */
  stale(name: string): Promise<string>;
  cleanup(): Promise<void>;
}

function sandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), "tether-compositor-socket-"));
  const runtimeDir = join(root, "run");
  mkdirSync(runtimeDir, { mode: 0o700 });
  const servers: Server[] = [];
  const listen = async (name: string) => {
    const path = join(runtimeDir, name);
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    servers.push(server);
    return path;
  };
  return {
    runtimeDir,
    uid: statSync(runtimeDir).uid,
    listen,
    stale(name) {
      // A path where nothing listens (a plain file: node cannot leave a listener-less socket).
      const path = join(runtimeDir, name);
      writeFileSync(path, "");
      return Promise.resolve(path);
    },
    async cleanup() {
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      rmSync(root, { recursive: true, force: true });
    },
  };
}

Deno.test("auto prefers $NIRI_SOCKET over $SWAYSOCK", async () => {
  const box = sandbox();
  try {
    const niri = await box.listen("niri-custom.sock");
    const sway = await box.listen("sway-custom.sock");
    const found = await findCompositorSocket("auto", {
      XDG_RUNTIME_DIR: box.runtimeDir,
      NIRI_SOCKET: niri,
      SWAYSOCK: sway,
    });
    assert.deepEqual(found, { kind: "niri", path: niri });
  } finally {
    await box.cleanup();
  }
});

Deno.test("auto takes $SWAYSOCK when $NIRI_SOCKET names a dead socket", async () => {
  const box = sandbox();
  try {
    const sway = await box.listen("sway-custom.sock");
    const found = await findCompositorSocket("auto", {
      XDG_RUNTIME_DIR: box.runtimeDir,
      NIRI_SOCKET: join(box.runtimeDir, "gone.sock"),
      SWAYSOCK: sway,
    });
    assert.deepEqual(found, { kind: "sway", path: sway });
  } finally {
    await box.cleanup();
  }
});

Deno.test("without variables, discovery finds the live sway socket of the runtime dir's owner", async () => {
  const box = sandbox();
  try {
    await box.listen(`sway-ipc.${box.uid + 1}.100.sock`); // another user's: ignored
    const mine = await box.listen(`sway-ipc.${box.uid}.200.sock`);
    const found = await findCompositorSocket("auto", { XDG_RUNTIME_DIR: box.runtimeDir });
    assert.deepEqual(found, { kind: "sway", path: mine });
  } finally {
    await box.cleanup();
  }
});

Deno.test("a stale inherited $SWAYSOCK falls back to the newest live discovered socket", async () => {
  const box = sandbox();
  try {
    const old = await box.listen(`sway-ipc.${box.uid}.300.sock`);
    const newer = await box.listen(`sway-ipc.${box.uid}.400.sock`);
    utimesSync(old, new Date(1_000_000), new Date(1_000_000));
    const found = await findCompositorSocket("sway", {
      XDG_RUNTIME_DIR: box.runtimeDir,
      SWAYSOCK: join(box.runtimeDir, `sway-ipc.${box.uid}.1.sock`), // the sway that restarted
    });
    assert.deepEqual(found, { kind: "sway", path: newer });
  } finally {
    await box.cleanup();
  }
});

Deno.test("--compositor niri ignores sway sockets", async () => {
  const box = sandbox();
  try {
    const sway = await box.listen(`sway-ipc.${box.uid}.500.sock`);
    const niri = await box.listen("niri.wayland-1.600.sock");
    const found = await findCompositorSocket("niri", {
      XDG_RUNTIME_DIR: box.runtimeDir,
      SWAYSOCK: sway,
    });
    assert.deepEqual(found, { kind: "niri", path: niri });
  } finally {
    await box.cleanup();
  }
});

Deno.test("nothing live is not_configured, naming the socket that did not answer", async () => {
  const box = sandbox();
  try {
    const stale = await box.stale(`sway-ipc.${box.uid}.700.sock`);
    await assert.rejects(
      findCompositorSocket("auto", { XDG_RUNTIME_DIR: box.runtimeDir, SWAYSOCK: stale }),
      (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        assert.equal(error.category, "not_configured");
        assert.match(error.message, /no live niri, sway or i3 IPC socket/);
        assert.ok(error.message.includes(stale), error.message);
        return true;
      },
    );
  } finally {
    await box.cleanup();
  }
});

Deno.test("i3: $I3SOCK, or discovery of i3/ipc-socket.<pid>; auto takes $SWAYSOCK before $I3SOCK", async () => {
  const box = sandbox();
  try {
    mkdirSync(join(box.runtimeDir, "i3"), { mode: 0o700 });
    const i3 = await box.listen("i3/ipc-socket.4242");
    assert.deepEqual(
      await findCompositorSocket("auto", { XDG_RUNTIME_DIR: box.runtimeDir }),
      { kind: "i3", path: i3 },
      "discovered",
    );
    assert.deepEqual(
      await findCompositorSocket("i3", { XDG_RUNTIME_DIR: box.runtimeDir, I3SOCK: i3 }),
      { kind: "i3", path: i3 },
    );
    // Under sway $I3SOCK names sway's own socket: $SWAYSOCK decides that it is sway.
    const sway = await box.listen(`sway-ipc.${box.uid}.300.sock`);
    assert.deepEqual(
      await findCompositorSocket("auto", {
        XDG_RUNTIME_DIR: box.runtimeDir,
        SWAYSOCK: sway,
        I3SOCK: sway,
      }),
      { kind: "sway", path: sway },
    );
  } finally {
    await box.cleanup();
  }
});

Deno.test("the error says where each path came from: $SWAYSOCK unset vs discovery, each path once", async () => {
  const box = sandbox();
  try {
    // A compositor killed with -9 leaves its socket behind; SWAYSOCK was never set.
    const leftover = join(box.runtimeDir, `sway-ipc.${box.uid}.701.sock`);
    await createStaleSockets([leftover]);
    await assert.rejects(
      findCompositorSocket("sway", { XDG_RUNTIME_DIR: box.runtimeDir }),
      (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        const message = error.message;
        assert.match(message, /\$SWAYSOCK not set/);
        assert.doesNotMatch(message, /\$SWAYSOCK (not answering|\/)/, "SWAYSOCK named nothing");
        assert.match(message, new RegExp(`discovery ${leftover}: connection refused`));
        assert.equal(message.split(leftover).length - 1, 1, `path once: ${message}`);
        return true;
      },
    );
    // The same path in $SWAYSOCK and in discovery: named once, under $SWAYSOCK.
    await assert.rejects(
      findCompositorSocket("sway", { XDG_RUNTIME_DIR: box.runtimeDir, SWAYSOCK: leftover }),
      (error: unknown) => {
        const message = (error as Error).message;
        assert.match(message, new RegExp(`\\$SWAYSOCK ${leftover}: connection refused`));
        assert.doesNotMatch(message, /not set/);
        assert.equal(message.split(leftover).length - 1, 1, `path once: ${message}`);
        return true;
      },
    );
    // Nothing found at all: both facts in words.
    await assert.rejects(
      findCompositorSocket("sway", { XDG_RUNTIME_DIR: join(box.runtimeDir, "empty") }),
      /\$SWAYSOCK not set; discovery found no sway socket in .*empty/,
    );
  } finally {
    await box.cleanup();
  }
});
