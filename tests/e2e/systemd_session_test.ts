/**
 * tether's user units under a real `systemd --user` (tests/support/user_manager.ts) for the
 * test user, with real headless sway 1.7: `tether systemd install --compositor sway` into a
 * temporary home; sway's config carries exactly the two lines install prints; the focus
 * service starts with sway's session, follows sway, stops when sway exits and starts again
 * with the next session; the cleanup timer fires `tether cleanup` 1 min after the manager
 * started and removes a stale socket. Runs the compiled binary (TETHER_BIN or dist/tether).
 * Real peers: run under `flock /tmp/tether-realpeers.lock`.
 */
import assert from "node:assert/strict";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { I3_EXEC_LINES, SWAY_EXEC_LINES } from "../../src/platform/systemd_units.ts";
import { REPO_ROOT } from "../support/cli.ts";
import { type I3Instance, startI3 } from "../support/i3.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { startSway, type SwayInstance } from "../support/sway.ts";
import {
  makeRuntimeDir,
  pidExists,
  runAsUser,
  TEST_USER,
  userIds,
  waitForExit,
} from "../support/test_user.ts";
import { waitFor } from "../support/wait.ts";
import { startUserManager, type UserManager } from "../support/user_manager.ts";

const BIN = process.env.TETHER_BIN ?? join(REPO_ROOT, "dist", "tether");

/** A home and a runtime dir of the test user, both removed when the test's scope ends. */
async function testUserHome() {
  const { uid, gid } = userIds();
  const home = mkdtempSync(join(tmpdir(), "tether-systemd-home-"));
  chownSync(home, uid, gid);
  const runtimeDir = await makeRuntimeDir();
  return {
    home,
    runtimeDir,
    env: { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), XDG_RUNTIME_DIR: runtimeDir },
    [Symbol.asyncDispose]: () => {
      rmSync(home, { recursive: true, force: true });
      rmSync(runtimeDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** `tether systemd install <args>` as the test user: it succeeds and prints each exec line. */
async function installUnits(
  env: Record<string, string>,
  args: string[],
  execLines: readonly string[],
): Promise<void> {
  const install = await runAsUser(TEST_USER, [BIN, "systemd", "install", ...args], env);
  assert.equal(install.code, 0, install.stderr);
  for (const line of execLines) {
    assert.ok(install.stdout.includes(`  ${line}\n`), install.stdout);
  }
}

Deno.test("units under a real systemd --user: focus starts and stops with each sway session, the timer runs cleanup", async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: bash scripts/build.sh compile`);
  await using user = await testUserHome();
  const { home, runtimeDir, env } = user;
  const startedAt = Date.now();
  let manager: UserManager | null = null;
  let sway: SwayInstance | null = null;
  try {
    await installUnits(env, ["--compositor", "sway"], SWAY_EXEC_LINES);
    // A stale sway socket (its PID in the name is gone) for the timer's cleanup to remove.
    const stale = join(runtimeDir, `sway-ipc.${userIds().uid}.4194000.sock`);
    await createStaleSockets([stale], { user: TEST_USER });

    manager = await startUserManager({ runtimeDir, home });
    const enable = await manager.systemctl([
      "enable",
      "--now",
      "tether-cleanup.timer",
      "tether-focus.service",
    ]);
    assert.equal(enable.code, 0, enable.stderr);
    // enable --now starts the focus service at once, outside any session (as from a terminal):
    // stop it, so that what follows shows the session starting it.
    await manager.systemctl(["stop", "tether-focus.service"]);
    assert.equal(await manager.isActive("graphical-session.target"), "inactive");

    const session = async () => {
      const started = await startSway({ runtimeDir, config: SWAY_EXEC_LINES.join("\n") });
      sway = started;
      await waitFor(
        "tether-focus.service to start with the session",
        async () => await manager!.isActive("tether-focus.service") === "active" ? true : undefined,
        20_000,
      );
      assert.equal(await manager!.isActive("graphical-session.target"), "active");
      // It follows this sway: connected to its socket (found by discovery: the manager's
      // environment has no SWAYSOCK), and sees the window that opens.
      await started.exec(`env LIBGL_ALWAYS_SOFTWARE=1 kitty > ${runtimeDir}/kitty.log 2>&1`);
      let last = "";
      const status = await waitFor("tether focus to see the kitty window", async () => {
        const result = await runAsUser(TEST_USER, [BIN, "--json", "focus", "status"], env);
        last = result.stdout + result.stderr;
        if (result.code !== 0) return undefined;
        const parsed = JSON.parse(result.stdout);
        return parsed.connection.status === "connected" && parsed.focused !== null
          ? parsed
          : undefined;
      }, 20_000).catch((error) => {
        throw new Error(`${error.message}; last status: ${last}`);
      });
      assert.equal(status.connection.socket_path, started.socketPath);
      // sway exits: its shutdown event stops the session target, and the tracker with it.
      await started.swaymsg(["exit"]);
      await waitForExit(started.pid);
      await waitFor(
        "tether-focus.service to stop with the session",
        async () =>
          await manager!.isActive("tether-focus.service") === "inactive" ? true : undefined,
        20_000,
      );
      assert.equal(await manager!.isActive("graphical-session.target"), "inactive");
      await started.stop();
      sway = null;
    };
    await session();
    await session(); // the next login's session starts it again

    // The timer: first run 1 min after the manager started (OnStartupSec), logged removal.
    assert.ok(existsSync(stale));
    await waitFor(
      "the cleanup timer to remove the stale socket",
      () => existsSync(stale) ? undefined : true,
      90_000,
    );
    const elapsedS = (Date.now() - startedAt) / 1000;
    assert.ok(elapsedS >= 55, `cleanup ran after ${elapsedS} s, before the 1 min of OnStartupSec`);
    const result = await manager.systemctl(["show", "-P", "Result", "tether-cleanup.service"]);
    assert.equal(result.stdout.trim(), "success");
    const timer = await manager.isActive("tether-cleanup.timer");
    assert.equal(timer, "active");
  } finally {
    if (sway !== null) await (sway as SwayInstance).stop();
    await manager?.stop();
    assert.ok(manager === null || !pidExists(manager.pid));
  }
});

/**
 * niri's unit as niri ships it (resources/niri.service: BindsTo= and Before=
 * graphical-session.target, Wants=/After= graphical-session-pre.target), running the fake niri
 * instead of niri (no niri package here; Type=simple, since the fake sends no sd_notify).
 */
function niriStandIn(): string {
  const deno = process.execPath;
  const main = join(REPO_ROOT, "tests", "fakes", "niri_server_main.ts");
  return `[Unit]
Description=stand-in for niri.service (tether's fake niri)
BindsTo=graphical-session.target
Before=graphical-session.target
Wants=graphical-session-pre.target
After=graphical-session-pre.target

[Service]
Slice=session.slice
Environment=DENO_DIR=/tmp/tether-deno-${TEST_USER} DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
ExecStart=${deno} run --allow-all --no-check --quiet ${main}
`;
}

Deno.test("units under a real systemd --user: niri's own unit starts and stops the focus service with it", async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: bash scripts/build.sh compile`);
  await using user = await testUserHome();
  const { home, runtimeDir, env } = user;
  let manager: UserManager | null = null;
  try {
    // The default install: --compositor auto, which waits for niri under systemd.
    await installUnits(env, [], []);
    const write = await runAsUser(
      TEST_USER,
      ["tee", join(home, ".config", "systemd", "user", "niri.service")],
      env,
      { stdin: niriStandIn() },
    );
    assert.equal(write.code, 0, write.stderr);
    manager = await startUserManager({ runtimeDir, home });
    const enable = await manager.systemctl(["enable", "tether-focus.service"]);
    assert.equal(enable.code, 0, enable.stderr);
    for (const round of [1, 2]) {
      // What niri-session does: start niri.service.
      const start = await manager.systemctl(["start", "niri.service"]);
      assert.equal(start.code, 0, start.stderr);
      await waitFor(
        `round ${round}: tether-focus.service to start with niri`,
        async () => await manager!.isActive("tether-focus.service") === "active" ? true : undefined,
        20_000,
      );
      const status = await waitFor(`round ${round}: tether focus to follow niri`, async () => {
        const result = await runAsUser(TEST_USER, [BIN, "--json", "focus", "status"], env);
        if (result.code !== 0) return undefined;
        const parsed = JSON.parse(result.stdout);
        return parsed.connection.status === "connected" && parsed.focused !== null
          ? parsed
          : undefined;
      }, 20_000);
      assert.equal(status.connection.compositor, "niri");
      assert.match(status.connection.socket_path, /\/niri\.wayland-1\.\d+\.sock$/);
      const stop = await manager.systemctl(["stop", "niri.service"]);
      assert.equal(stop.code, 0, stop.stderr);
      await waitFor(
        `round ${round}: tether-focus.service to stop with niri`,
        async () =>
          await manager!.isActive("tether-focus.service") === "inactive" ? true : undefined,
        20_000,
      );
      assert.equal(await manager.isActive("graphical-session.target"), "inactive");
    }
  } finally {
    await manager?.stop();
  }
});

Deno.test("units under a real systemd --user: i3's two config lines start and stop the focus service with i3", async () => {
  assert.ok(existsSync(BIN), `${BIN} is missing: bash scripts/build.sh compile`);
  await using user = await testUserHome();
  const { home, runtimeDir, env } = user;
  let manager: UserManager | null = null;
  let i3: I3Instance | null = null;
  try {
    await installUnits(env, ["--compositor", "i3"], I3_EXEC_LINES);
    manager = await startUserManager({ runtimeDir, home });
    const enable = await manager.systemctl(["enable", "tether-focus.service"]);
    assert.equal(enable.code, 0, enable.stderr);
    assert.equal(await manager.isActive("tether-focus.service"), "inactive");
    const started = await startI3({ runtimeDir, config: I3_EXEC_LINES.join("\n") });
    i3 = started;
    await waitFor(
      "tether-focus.service to start with i3",
      async () => await manager!.isActive("tether-focus.service") === "active" ? true : undefined,
      20_000,
    );
    const status = await waitFor("tether focus to follow i3", async () => {
      const result = await runAsUser(TEST_USER, [BIN, "--json", "focus", "status"], env);
      if (result.code !== 0) return undefined;
      const parsed = JSON.parse(result.stdout);
      return parsed.connection.status === "connected" ? parsed : undefined;
    }, 20_000);
    assert.equal(status.connection.compositor, "i3");
    assert.equal(status.connection.socket_path, started.socketPath);
    await started.i3msg(["exit"]);
    await waitForExit(started.pid);
    await waitFor(
      "tether-focus.service to stop with i3",
      async () => await manager!.isActive("tether-focus.service") === "inactive" ? true : undefined,
      20_000,
    );
    assert.equal(await manager.isActive("graphical-session.target"), "inactive");
  } finally {
    if (i3 !== null) await (i3 as I3Instance).stop();
    await manager?.stop();
  }
});
