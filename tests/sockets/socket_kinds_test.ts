import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCleanup } from "../../src/sockets/cleanup.ts";
import { discoverSockets } from "../../src/sockets/discovery.ts";
import {
  SOCKET_KIND_ROWS,
  SOCKET_KINDS,
  SOCKET_SUBDIRECTORIES,
  type SocketKind,
} from "../../src/sockets/socket_kinds.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";

const UID = process.getuid!();

/**
 * A socket name each kind really has. Typed by kind: a new row without an example here is a
 * compile error, so the tests below cover every row.
 */
const EXAMPLE_NAMES: Record<SocketKind, string> = {
  sway: `sway-ipc.${UID}.4001.sock`,
  i3: "ipc-socket.4003",
  niri: "niri.wayland-1.4002.sock",
  kitty: "kitty-4004.sock",
  tether: "focus.sock",
};

/** A 0700 runtime dir (removed by the caller), with every kind's directory unless `bare`. */
function runtimeDir(bare = false): string {
  const dir = mkdtempSync(join(tmpdir(), "tether-socket-kinds-"));
  chmodSync(dir, 0o700);
  if (!bare) {
    for (const sub of SOCKET_SUBDIRECTORIES) mkdirSync(join(dir, sub), { recursive: true });
  }
  return dir;
}

const examplePath = (rt: string, kind: SocketKind) =>
  join(rt, SOCKET_KIND_ROWS[kind].subdirectory, EXAMPLE_NAMES[kind]);

Deno.test("every kind's row is scanned: discovery finds it, cleanup removes it when stale", async () => {
  const rt = runtimeDir();
  try {
    const paths = SOCKET_KINDS.map((kind) => examplePath(rt, kind));
    await createStaleSockets(paths);
    const found = await discoverSockets({ runtimeDir: rt, env: {}, uid: UID });
    assert.deepEqual(
      found.entries.map((entry) => [entry.kind, entry.path, entry.protocol]),
      SOCKET_KINDS.map((kind) => [kind, examplePath(rt, kind), SOCKET_KIND_ROWS[kind].protocol]),
    );
    const report = await runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: false });
    assert.deepEqual(report.removed, [...paths].sort());
    for (const path of paths) assert.equal(existsSync(path), false, path);
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});

Deno.test("a symlink planted as a kind's directory is kept, reported under that kind", async () => {
  const rt = runtimeDir(true);
  const elsewhere = mkdtempSync(join(tmpdir(), "tether-elsewhere-"));
  const planted = SOCKET_SUBDIRECTORIES.filter((sub) => sub !== "");
  try {
    for (const sub of planted) symlinkSync(elsewhere, join(rt, sub));
    const report = await runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: true });
    assert.deepEqual(
      report.kept.map((kept) => [kept.socket_path, kept.kind]),
      planted.map((sub) => [
        join(rt, sub),
        SOCKET_KINDS.find((kind) => SOCKET_KIND_ROWS[kind].subdirectory === sub),
      ]).sort(),
    );
    assert.ok(report.kept.every((kept) => /symlink/.test(kept.reason)));
  } finally {
    rmSync(rt, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

Deno.test("every session variable marks the path it names current, as its kind", async () => {
  const rt = runtimeDir();
  const elsewhere = mkdtempSync(join(tmpdir(), "tether-elsewhere-"));
  try {
    const named = SOCKET_KINDS.filter((kind) => SOCKET_KIND_ROWS[kind].sessionVariable !== null);
    assert.deepEqual([...named].sort(), ["i3", "niri", "sway"]);
    for (const kind of named) {
      const path = join(elsewhere, `${kind}.sock`); // a name no row knows: the variable tells
      const env = { [SOCKET_KIND_ROWS[kind].sessionVariable!]: path };
      const found = await discoverSockets({ runtimeDir: rt, env, uid: UID });
      assert.deepEqual(
        found.entries.map((entry) => [entry.kind, entry.path, entry.current, entry.protocol]),
        [[kind, path, true, SOCKET_KIND_ROWS[kind].protocol]],
      );
    }
  } finally {
    rmSync(rt, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  }
});
