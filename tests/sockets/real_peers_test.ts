/**
 * socket-health and cleanup against real peers, once per peer set (Debian 12's sway 1.7 and
 * i3 4.22, sid's current ones): headless sway and i3 (as the unprivileged test user, tether
 * running as the same user), stale sockets made the real way
 * (SIGKILL), a hung sway (SIGSTOP), a live sway on a name carrying a dead PID, a symlink to a
 * live socket, a regular file and a directory named like sockets, a socket owned by another
 * user, and the current $SWAYSOCK and $I3SOCK. Every process is killed by PID in finally blocks.
 */
import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { startI3 } from "../support/i3.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { startSway, type SwayInstance } from "../support/sway.ts";
import { runTetherAsUser } from "../support/tether_as_user.ts";
import { makeRuntimeDir, TEST_USER, userIds } from "../support/test_user.ts";
import type { HealthRow } from "../../src/sockets/health.ts";
import { forEachPeerSet } from "../support/peer_set.ts";

const { uid: TEST_UID, gid: TEST_GID } = userIds(TEST_USER);

/** A PID that is certainly not running: above pid_max. */
const DEAD_PID = 4_194_305;

forEachPeerSet((set) =>
  Deno.test(`socket-health and cleanup classify real sway/i3 sockets and decoys exactly ${set.label("sway", "i3")}`, async () => {
    const versions = set.versions();
    const rt = await makeRuntimeDir();
    const started: { stop(): Promise<void> }[] = [];
    try {
      const current = await startSway({ runtimeDir: rt, peers: set });
      started.push(current);
      const deadPidName = await startSway({
        runtimeDir: rt,
        peers: set,
        socketPath: join(rt, `sway-ipc.${TEST_UID}.${DEAD_PID}.sock`),
      });
      started.push(deadPidName);
      const hung: SwayInstance = await startSway({ runtimeDir: rt, peers: set });
      started.push(hung);
      const crashed = await startSway({ runtimeDir: rt, peers: set });
      started.push(crashed);
      const i3 = await startI3({ runtimeDir: rt, peers: set });
      started.push(i3);
      const i3Crashed = await startI3({ runtimeDir: rt, peers: set });
      started.push(i3Crashed);

      // Decoys, all named like sway sockets.
      const symlink = join(rt, `sway-ipc.${TEST_UID}.900001.sock`);
      symlinkSync(current.socketPath, symlink);
      const regularFile = join(rt, `sway-ipc.${TEST_UID}.900002.sock`);
      writeFileSync(regularFile, "");
      chownSync(regularFile, TEST_UID, TEST_GID);
      const directory = join(rt, `sway-ipc.${TEST_UID}.900003.sock`);
      mkdirSync(directory);
      chownSync(directory, TEST_UID, TEST_GID);
      const foreign = join(rt, `sway-ipc.${TEST_UID}.900004.sock`);
      await createStaleSockets([foreign]); // made by root: another user's socket
      chmodSync(rt, 0o700);

      await crashed.crash();
      await i3Crashed.crash();
      const i3CrashedLog = join(rt, "i3", `log-stream-socket.${i3Crashed.pid}`);
      hung.hang();

      const env = { XDG_RUNTIME_DIR: rt, SWAYSOCK: current.socketPath, I3SOCK: i3.socketPath };
      const health = await runTetherAsUser(["--json", "socket-health", "--timeout", "1"], env);
      assert.equal(health.code, 1, health.stderr); // not everything is healthy
      const rows: HealthRow[] = JSON.parse(health.stdout).sockets;
      const status = Object.fromEntries(rows.map((row) => [row.socket_path, row.status]));
      assert.equal(status[current.socketPath], "healthy");
      assert.equal(status[deadPidName.socketPath], "healthy");
      assert.equal(status[hung.socketPath], "unresponsive");
      assert.equal(status[crashed.socketPath], "stale");
      assert.equal(status[i3.socketPath], "healthy");
      assert.equal(status[i3Crashed.socketPath], "stale");
      assert.equal(status[i3CrashedLog], "stale");
      assert.equal(status[symlink], "healthy");
      assert.equal(status[regularFile], "stale");
      assert.equal(status[directory], "stale");
      assert.equal(status[foreign], "unresponsive");
      const currentRow = rows.find((row) => row.socket_path === current.socketPath)!;
      assert.equal(currentRow.current, true);
      assert.equal(currentRow.owner_pid, current.pid);
      assert.equal(currentRow.kind, "sway");
      assert.equal(typeof currentRow.latency_ms, "number");
      assert.ok(currentRow.peer!.includes(`sway ${versions.sway}`), currentRow.peer!);
      assert.match(
        rows.find((row) => row.socket_path === hung.socketPath)!.error!.message,
        /no answer/,
      );
      assert.match(
        rows.find((row) => row.socket_path === foreign)!.error!.message,
        /permission denied/,
      );
      const i3Row = rows.find((row) => row.socket_path === i3.socketPath)!;
      assert.deepEqual([i3Row.kind, i3Row.current, i3Row.owner_pid], ["i3", true, i3.pid]);
      assert.ok(i3Row.peer!.startsWith(`i3 ${versions.i3}`), i3Row.peer!);
      const currentPaths = rows.filter((row) => row.current).map((row) => row.socket_path).sort();
      assert.deepEqual(currentPaths, [current.socketPath, i3.socketPath].sort());

      const cleanup = await runTetherAsUser(["--json", "--log-level", "info", "cleanup"], env);
      assert.equal(cleanup.code, 0, cleanup.stderr);
      const report = JSON.parse(cleanup.stdout);
      const expected = [crashed.socketPath, i3Crashed.socketPath, i3CrashedLog].sort();
      assert.deepEqual(report.removed, expected);
      assert.equal(cleanup.stderr.trim().split("\n").length, 3, "one log line per removal");
      for (const path of expected) assert.equal(existsSync(path), false, path);
      for (
        const path of [
          current.socketPath,
          deadPidName.socketPath,
          hung.socketPath,
          i3.socketPath,
          symlink,
          regularFile,
          directory,
          foreign,
        ]
      ) {
        assert.equal(existsSync(path), true, `${path} was removed`);
      }
      // The hung sway was never answered, yet kept; once resumed it answers again.
      hung.resume();
      const after = await runTetherAsUser(
        ["--json", "socket-health", "--path", hung.socketPath],
        env,
      );
      assert.equal(after.code, 0, after.stderr);
      assert.equal(JSON.parse(after.stdout).sockets[0].status, "healthy");
    } finally {
      for (const peer of started.reverse()) await peer.stop();
      Deno.removeSync(rt, { recursive: true });
    }
  })
);

forEachPeerSet((set) =>
  Deno.test(`--kind filters rows; a healthy-only selection exits 0 ${set.label("sway")}`, async () => {
    const rt = await makeRuntimeDir();
    const sway = await startSway({ runtimeDir: rt, peers: set });
    try {
      await createStaleSockets([join(rt, "niri.wayland-9.4194305.sock")], { user: TEST_USER });
      const env = { XDG_RUNTIME_DIR: rt };
      const swayOnly = await runTetherAsUser(["--json", "socket-health", "--kind", "sway"], env);
      assert.equal(swayOnly.code, 0, swayOnly.stderr);
      assert.deepEqual(
        JSON.parse(swayOnly.stdout).sockets.map((row: HealthRow) => row.kind),
        ["sway"],
      );
      const niriOnly = await runTetherAsUser(["--json", "socket-health", "--kind", "niri"], env);
      assert.equal(niriOnly.code, 1);
      assert.equal(JSON.parse(niriOnly.stdout).sockets[0].status, "stale");
    } finally {
      await sway.stop();
      Deno.removeSync(rt, { recursive: true });
    }
  })
);

Deno.test("an unreadable entry is one error line, exit 2, nothing deleted", async () => {
  const rt = await makeRuntimeDir();
  try {
    const stale = join(rt, `sway-ipc.${TEST_UID}.4194305.sock`);
    await createStaleSockets([stale], { user: TEST_USER });
    mkdirSync(join(rt, "kitty"), { mode: 0o000 });
    chownSync(join(rt, "kitty"), TEST_UID, TEST_GID);
    chmodSync(join(rt, "kitty"), 0o000);
    for (const command of [["cleanup"], ["socket-health"]]) {
      const result = await runTetherAsUser(command, { XDG_RUNTIME_DIR: rt });
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
      assert.match(result.stderr, /cannot read .*kitty: EACCES/);
    }
    assert.equal(existsSync(stale), true);
  } finally {
    Deno.removeSync(rt, { recursive: true });
  }
});

forEachPeerSet((set) =>
  Deno.test(`a hung sway whose backlog is full is never removed (the binary sees ECONNREFUSED) ${set.label("sway")}`, async () => {
    const rt = await makeRuntimeDir();
    const sway = await startSway({ runtimeDir: rt, peers: set });
    const held: Socket[] = [];
    try {
      sway.hang();
      // sway listens with a backlog of 3: four connections fill it; later ones are refused
      // (EAGAIN, which the Bun runtime of dist/tether reports as ECONNREFUSED).
      for (let i = 0; i < 5; i++) {
        held.push(
          await new Promise<Socket>((resolve) => {
            const socket = createConnection(sway.socketPath);
            socket.once("connect", () => resolve(socket));
            socket.once("error", () => resolve(socket));
          }),
        );
      }
      const env = { XDG_RUNTIME_DIR: rt };
      const cleanup = await runTetherAsUser(["--json", "cleanup"], env);
      assert.equal(cleanup.code, 0, cleanup.stderr);
      const report = JSON.parse(cleanup.stdout);
      assert.deepEqual(report.removed, []);
      assert.equal(existsSync(sway.socketPath), true);
      const health = await runTetherAsUser(["--json", "socket-health", "--timeout", "0.5"], env);
      assert.equal(JSON.parse(health.stdout).sockets[0].status, "unresponsive");
    } finally {
      for (const socket of held) socket.destroy();
      await sway.stop();
      Deno.removeSync(rt, { recursive: true });
    }
  })
);

Deno.test("a stale socket that cannot be unlinked: reported failed, one error line, exit 1", async () => {
  const rt = await makeRuntimeDir();
  try {
    const kittyDir = join(rt, "kitty");
    mkdirSync(kittyDir);
    chownSync(kittyDir, TEST_UID, TEST_GID);
    const stale = join(kittyDir, "kitty-4194305.sock");
    const removable = join(rt, `sway-ipc.${TEST_UID}.4194305.sock`);
    await createStaleSockets([stale, removable], { user: TEST_USER });
    chmodSync(kittyDir, 0o500); // listable and searchable, but no unlink inside (EACCES)
    const cleanup = await runTetherAsUser(["--json", "cleanup"], { XDG_RUNTIME_DIR: rt });
    assert.equal(cleanup.code, 1, cleanup.stderr);
    const report = JSON.parse(cleanup.stdout);
    assert.deepEqual(report.failed, [{
      socket_path: stale,
      error: { category: "auth", message: "unlink failed: EACCES" },
    }]);
    assert.deepEqual(report.removed, [removable]);
    assert.equal(cleanup.stderr.trim().split("\n").length, 1, cleanup.stderr);
    assert.match(cleanup.stderr, /could not remove .*kitty-4194305\.sock: unlink failed: EACCES/);
    assert.equal(existsSync(stale), true);
    assert.equal(existsSync(removable), false);
  } finally {
    chmodSync(join(rt, "kitty"), 0o700);
    Deno.removeSync(rt, { recursive: true });
  }
});
