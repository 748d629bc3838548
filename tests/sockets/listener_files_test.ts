import assert from "node:assert/strict";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { runCleanup } from "../../src/sockets/cleanup.ts";
import { parseSsInodes, readListenerFiles } from "../../src/sockets/listener_files.ts";
import { startHungListeners } from "../fakes/hung_listener.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";

const UID = process.getuid!();

/**
 * A runtime dir with a kitty/ subdir and an alias (symlink) to it, plus the four other
 * spellings of a path the adversarial run bound its hung listeners under.
 */
function layout() {
  const root = mkdtempSync(join(tmpdir(), "tether-spellings-"));
  const rt = join(root, "rt");
  mkdirSync(join(rt, "kitty"), { recursive: true });
  chmodSync(rt, 0o700);
  const alias = join(root, "alias");
  symlinkSync(rt, alias);
  const canonical = {
    doubleSlash: join(rt, `sway-ipc.${UID}.9101.sock`),
    dot: join(rt, "kitty", "kitty-9102.sock"),
    alias: join(rt, `niri.wayland-1.9103.sock`),
    relative: join(rt, "kitty", "kitty-9104.sock"),
  };
  const spelled = {
    doubleSlash: `${rt}//sway-ipc.${UID}.9101.sock`,
    dot: `${rt}/./kitty/kitty-9102.sock`,
    alias: join(alias, `niri.wayland-1.9103.sock`),
    relative: relative(join(rt, "kitty"), canonical.relative),
  };
  return { root, rt, canonical, spelled };
}

/** The compiled binary's runtime reports a full backlog's EAGAIN as ECONNREFUSED: so does this. */
const refusesLikeTheCompiledBinary = () =>
  Promise.reject(new ConnectionError("refused", "connect ECONNREFUSED"));

Deno.test("listeners bound as R//x, R/./kitty/x, through a symlinked alias or relative are found by inode", async () => {
  const { root, rt, canonical, spelled } = layout();
  const hung = await startHungListeners(Object.values(spelled), { cwd: join(rt, "kitty") });
  try {
    // With `ss` (the kernel's answer) and without it (bound paths resolved from /proc).
    for (const listOwnNamespace of [undefined, () => null]) {
      const listeners = readListenerFiles({ runtimeDev: lstatSync(rt).dev, listOwnNamespace });
      const mode = listOwnNamespace ? "paths" : "ss";
      for (const [name, path] of Object.entries(canonical)) {
        assert.ok(listeners.alive.has(lstatSync(path).ino), `${mode}, ${name}: ${path}`);
      }
      assert.equal(listeners.doubt, null, mode);
    }
  } finally {
    await hung.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("cleanup keeps hung listeners under any spelling, even when connect says refused", async () => {
  const { root, rt, canonical, spelled } = layout();
  const stale = join(rt, "kitty", "kitty-9199.sock");
  await createStaleSockets([stale]);
  const hung = await startHungListeners(Object.values(spelled), { cwd: join(rt, "kitty") });
  try {
    const report = await runCleanup({
      runtimeDir: rt,
      env: {},
      uid: UID,
      dryRun: false,
      connectProber: refusesLikeTheCompiledBinary,
    });
    assert.deepEqual(report.removed, [stale]);
    for (const path of Object.values(canonical)) {
      const kept = report.kept.find((entry) => entry.socket_path === path);
      assert.match(kept?.reason ?? "(not kept)", /still listens/, path);
      assert.ok(lstatSync(path).isSocket(), path);
    }
  } finally {
    await hung.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("a hung listener in another network namespace (unshare -n) is kept", async () => {
  const { root, rt } = layout();
  const path = join(rt, "kitty", "kitty-9201.sock");
  const hung = await startHungListeners([path], { newNetworkNamespace: true });
  try {
    const ownTable = Deno.readTextFileSync("/proc/self/net/unix");
    assert.equal(ownTable.includes(path), false, "the listener is in another namespace");
    const report = await runCleanup({
      runtimeDir: rt,
      env: {},
      uid: UID,
      dryRun: false,
      connectProber: refusesLikeTheCompiledBinary,
    });
    assert.deepEqual(report.removed, []);
    assert.match(report.kept.find((entry) => entry.socket_path === path)!.reason, /still listens/);
    assert.ok(lstatSync(path).isSocket());
  } finally {
    await hung.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("a listener whose file was renamed after bind is found through ss; by paths it is a doubt", async () => {
  const { root, rt } = layout();
  const bound = join(rt, "bound-here.sock");
  const moved = join(rt, "kitty", "kitty-9301.sock");
  const hung = await startHungListeners([bound]);
  try {
    renameSync(bound, moved);
    const runtimeDev = lstatSync(rt).dev;
    assert.ok(readListenerFiles({ runtimeDev }).alive.has(lstatSync(moved).ino));
    const byPaths = readListenerFiles({ runtimeDev, listOwnNamespace: () => null });
    assert.equal(byPaths.alive.has(lstatSync(moved).ino), false);
    assert.match(byPaths.doubt ?? "(none)", /bound-here\.sock.*could not be matched/);
    const report = await runCleanup({
      runtimeDir: rt,
      env: {},
      uid: UID,
      dryRun: false,
      connectProber: refusesLikeTheCompiledBinary,
    });
    assert.deepEqual(report.removed, []);
    assert.ok(lstatSync(moved).isSocket());
  } finally {
    await hung.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

Deno.test("ss output: the last ino of each line counts", () => {
  const text =
    "u_str LISTEN 0 512 /run/user/1000/x.sock 188945 * 0 <-> ino:2162842 dev:0/52 peers:\n" +
    "u_str LISTEN 0 512 /tmp/a ino:1 dev:/b 188946 * 0 <-> ino:77 dev:0/52 peers:\n" +
    "u_str LISTEN 0 512 @abstract 188947 * 0 peers:\n";
  assert.deepEqual([...parseSsInodes(text)], [2162842, 77]);
});
