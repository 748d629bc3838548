import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findCompositorSocket } from "../../src/compositor/compositor_socket.ts";
import {
  COMPOSITOR_KINDS,
  type CompositorKind,
  compositorNames,
  COMPOSITORS,
  isCompositorKind,
} from "../../src/compositor/compositors.ts";
import { FOCUS_SOURCES } from "../../src/compositor/focus_sources.ts";

const UID = process.getuid!();

/**
 * A socket name each compositor really creates. Typed by kind: a new row without an example
 * here is a compile error, so the tests below cover every row.
 */
const EXAMPLE_NAMES: Record<CompositorKind, string> = {
  niri: "niri.wayland-1.4002.sock",
  sway: `sway-ipc.${UID}.4001.sock`,
  i3: "ipc-socket.4003",
};

async function listen(path: string): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** A 0700 runtime dir with every compositor's socket directory; removed by the caller. */
function runtimeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "tether-compositors-"));
  for (const kind of COMPOSITOR_KINDS) {
    mkdirSync(join(dir, COMPOSITORS[kind].socketDirectory), { recursive: true, mode: 0o700 });
  }
  return dir;
}

Deno.test("every row parses its own socket name as its IPC socket, with the PID", () => {
  for (const kind of COMPOSITOR_KINDS) {
    const parsed = COMPOSITORS[kind].parseSocketName(EXAMPLE_NAMES[kind]);
    assert.equal(parsed?.protocol, COMPOSITORS[kind].protocol, kind);
    assert.match(String(parsed?.ownerPid), /^400\d$/, kind);
    for (const other of COMPOSITOR_KINDS.filter((each) => each !== kind)) {
      const sameDirectory =
        COMPOSITORS[other].socketDirectory === COMPOSITORS[kind].socketDirectory;
      if (sameDirectory) {
        assert.equal(COMPOSITORS[other].parseSocketName(EXAMPLE_NAMES[kind]), null);
      }
    }
  }
});

Deno.test("every row's variable is read: `--compositor <kind>` and auto find the path it names", async () => {
  const rt = runtimeDir();
  try {
    for (const kind of COMPOSITOR_KINDS) {
      const path = join(rt, `named-by-variable-${kind}.sock`);
      const server = await listen(path);
      try {
        const env = { XDG_RUNTIME_DIR: rt, [COMPOSITORS[kind].socketVariable]: path };
        assert.deepEqual(await findCompositorSocket(kind, env), { kind, path });
        assert.deepEqual(await findCompositorSocket("auto", env), { kind, path });
      } finally {
        await close(server);
      }
    }
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});

Deno.test("every row's socket is discovered by its name in its directory", async () => {
  const rt = runtimeDir();
  try {
    for (const kind of COMPOSITOR_KINDS) {
      const path = join(rt, COMPOSITORS[kind].socketDirectory, EXAMPLE_NAMES[kind]);
      const server = await listen(path);
      try {
        assert.deepEqual(await findCompositorSocket(kind, { XDG_RUNTIME_DIR: rt }), { kind, path });
        assert.deepEqual(await findCompositorSocket("auto", { XDG_RUNTIME_DIR: rt }), {
          kind,
          path,
        });
      } finally {
        await close(server);
      }
    }
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});

Deno.test("every row has a focus source, and messages list every compositor", () => {
  assert.deepEqual(Object.keys(FOCUS_SOURCES).sort(), [...COMPOSITOR_KINDS].sort());
  for (const kind of COMPOSITOR_KINDS) {
    assert.equal(isCompositorKind(kind), true);
    assert.match(compositorNames("or"), new RegExp(`\\b${COMPOSITORS[kind].displayName}\\b`));
  }
  assert.equal(compositorNames("or"), "niri, sway or i3");
  assert.equal(isCompositorKind("kitty"), false);
  assert.equal(isCompositorKind("toString"), false); // own keys only, not the prototype's
});
