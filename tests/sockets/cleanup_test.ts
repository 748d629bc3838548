import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import { runCleanup } from "../../src/sockets/cleanup.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();
const OTHER_UID = 1500; // scripts/setup.sh's test user

async function listen(path: string): Promise<Server> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

Deno.test("cleanup removes stale sockets of every kind and keeps live ones", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  mkdirSync(join(rt, "i3"), { mode: 0o700 });
  mkdirSync(join(rt, "kitty"), { mode: 0o700 });
  mkdirSync(join(rt, "tether"), { mode: 0o700 });
  const stale = [
    join(rt, `sway-ipc.${UID}.4001.sock`),
    join(rt, "niri.wayland-1.4002.sock"),
    join(rt, "i3", "ipc-socket.4003"),
    join(rt, "i3", "log-stream-socket.4003"),
    join(rt, "kitty", "kitty-4004.sock"),
    join(rt, "tether", "focus.sock"),
    join(rt, "tether", "conbus.192.168.1.100.sock"),
  ];
  await createStaleSockets(stale);
  const live = await listen(join(rt, `sway-ipc.${UID}.4005.sock`));
  try {
    const removed: string[] = [];
    const report = await runCleanup({
      runtimeDir: rt,
      env: {},
      uid: UID,
      dryRun: false,
      onRemoved: (entry) => removed.push(entry.path),
    });
    assert.deepEqual(report.removed, [...stale].sort());
    assert.deepEqual(removed.sort(), [...stale].sort());
    assert.deepEqual(report.kept.map((kept) => kept.socket_path), [
      join(rt, `sway-ipc.${UID}.4005.sock`),
    ]);
    assert.deepEqual(report.failed, []);
    for (const path of stale) assert.equal(existsSync(path), false, path);
    assert.equal(existsSync(join(rt, `sway-ipc.${UID}.4005.sock`)), true);
  } finally {
    await close(live);
  }
});

Deno.test("--dry-run reports the stale socket and removes nothing", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.4001.sock`);
  await createStaleSockets([path]);
  const report = await runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: true });
  assert.deepEqual(report.removed, [path]);
  assert.equal(report.dry_run, true);
  assert.equal(lstatSync(path).isSocket(), true);
});

Deno.test("decoys are kept: symlinks, files, directories, foreign sockets, foreign uid in name", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const target = join(rt, `sway-ipc.${UID}.5000.sock`);
  const foreignOwner = join(rt, `sway-ipc.${UID}.5001.sock`);
  const foreignName = join(rt, `sway-ipc.${OTHER_UID}.5002.sock`);
  const staleTarget = join(rt, "unrelated.sock");
  await createStaleSockets([target, foreignOwner, foreignName, staleTarget]);
  chownSync(foreignOwner, OTHER_UID, OTHER_UID);
  symlinkSync(staleTarget, join(rt, `sway-ipc.${UID}.5003.sock`));
  writeFileSync(join(rt, `sway-ipc.${UID}.5004.sock`), "");
  mkdirSync(join(rt, `sway-ipc.${UID}.5005.sock`));
  const report = await runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: false });
  assert.deepEqual(report.removed, [target]);
  const reasons = Object.fromEntries(report.kept.map((kept) => [kept.socket_path, kept.reason]));
  assert.match(reasons[foreignOwner]!, /owned by uid 1500/);
  assert.match(reasons[foreignName]!, /uid in its name/);
  assert.match(reasons[join(rt, `sway-ipc.${UID}.5003.sock`)]!, /symlink/);
  assert.match(reasons[join(rt, `sway-ipc.${UID}.5004.sock`)]!, /file, not a socket/);
  assert.match(reasons[join(rt, `sway-ipc.${UID}.5005.sock`)]!, /directory, not a socket/);
  assert.equal(existsSync(staleTarget), true, "files with unknown names are never touched");
  assert.equal(readdirSync(rt).length, 6);
});

Deno.test("a $SWAYSOCK outside the runtime dir is never touched, even when stale", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  await using elsewhereDir = await tempDir("tether-elsewhere-");
  const elsewhere = elsewhereDir.path;
  const outside = join(elsewhere, `sway-ipc.${UID}.6000.sock`);
  await createStaleSockets([outside]);
  const report = await runCleanup({
    runtimeDir: rt,
    env: { SWAYSOCK: outside },
    uid: UID,
    dryRun: false,
  });
  assert.deepEqual(report.removed, []);
  assert.match(report.kept[0]!.reason, /outside/);
  assert.equal(existsSync(outside), true);
});

Deno.test("the current $SWAYSOCK is kept while it answers and removed once proven dead", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.7000.sock`);
  const server = await listen(path);
  try {
    const live = await runCleanup({
      runtimeDir: rt,
      env: { SWAYSOCK: path },
      uid: UID,
      dryRun: false,
    });
    assert.deepEqual(live.removed, []);
    assert.match(live.kept[0]!.reason, /alive/);
  } finally {
    await close(server);
  }
  await createStaleSockets([path]);
  const dead = await runCleanup({
    runtimeDir: rt,
    env: { SWAYSOCK: path },
    uid: UID,
    dryRun: false,
  });
  assert.deepEqual(dead.removed, [path]);
});

Deno.test("a socket replaced between probe and unlink is kept (same-inode check)", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.8000.sock`);
  await createStaleSockets([path]);
  let probes = 0;
  const report = await runCleanup({
    runtimeDir: rt,
    env: {},
    uid: UID,
    dryRun: false,
    // Right after the probe, a new compositor (same PID, new file) takes the name.
    connectProber: async (probed) => {
      probes++;
      if (probes === 1) {
        rmSync(probed);
        await createStaleSockets([probed]);
      }
      throw Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
    },
  });
  assert.deepEqual(report.removed, []);
  assert.match(report.kept[0]!.reason, /replaced/);
  assert.equal(existsSync(path), true);
});

Deno.test("a hung peer (accepts, never answers) is alive and kept", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.9000.sock`);
  const server = createServer(() => {}); // accepts, never writes
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    const report = await runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: false });
    assert.deepEqual(report.removed, []);
    assert.equal(existsSync(path), true);
  } finally {
    await close(server);
  }
});

Deno.test("a failed unlink is reported, not thrown", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.9100.sock`);
  await createStaleSockets([path]);
  const report = await runCleanup({
    runtimeDir: rt,
    env: {},
    uid: UID,
    dryRun: false,
    unlinkFile: () => Promise.reject(Object.assign(new Error("nope"), { code: "EBUSY" })),
  });
  assert.deepEqual(report.removed, []);
  assert.deepEqual(report.failed, [{
    socket_path: path,
    error: { category: "closed", message: "unlink failed: EBUSY" },
  }]);
});

Deno.test("a runtime dir with group/other access is refused before anything is removed", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.9200.sock`);
  await createStaleSockets([path]);
  chmodSync(rt, 0o755);
  await assert.rejects(
    runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: false }),
    (error: unknown) => error instanceof ConfigError && /0755, must be 0700/.test(error.message),
  );
  assert.equal(existsSync(path), true);
});

Deno.test("a runtime dir owned by someone else is refused", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  chownSync(rt, OTHER_UID, OTHER_UID);
  await assert.rejects(
    runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: false }),
    (error: unknown) => error instanceof ConfigError && /owned by uid 1500/.test(error.message),
  );
});

Deno.test("a subdirectory that is a symlink is not followed", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  await using elsewhereDir = await tempDir("tether-elsewhere-");
  const elsewhere = elsewhereDir.path;
  const victim = join(elsewhere, "kitty-4242.sock");
  await createStaleSockets([victim]);
  symlinkSync(elsewhere, join(rt, "kitty"));
  const report = await runCleanup({ runtimeDir: rt, env: {}, uid: UID, dryRun: false });
  assert.deepEqual(report.removed, []);
  assert.match(report.kept[0]!.reason, /symlink/);
  assert.equal(existsSync(victim), true);
});

Deno.test("a refused socket with a listener (hung, full backlog) is kept", async () => {
  await using rtDir = await tempDir("tether-cleanup-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.9300.sock`);
  await createStaleSockets([path]);
  const report = await runCleanup({
    runtimeDir: rt,
    env: {},
    uid: UID,
    dryRun: false,
    readListeners: () => ({ alive: new Set([lstatSync(path).ino]), doubt: null }),
  });
  assert.deepEqual(report.removed, []);
  assert.match(report.kept[0]!.reason, /listens/);
  const blind = await runCleanup({
    runtimeDir: rt,
    env: {},
    uid: UID,
    dryRun: false,
    readListeners: () => ({ alive: new Set<number>(), doubt: "a test says so" }),
  });
  assert.deepEqual(blind.removed, []);
  assert.equal(existsSync(path), true);
});
