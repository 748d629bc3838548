/**
 * scripts/demo.sh's body: headless sway + three kitties + `tether focus`, focus moved with
 * swaymsg, sizes read through kitty's `ls`. Everything runs as the test user, configured the way
 * a user would: `tether kitty setup` writes the password and the include file, and kitty.conf is
 * the one line it prints. Runs once per peer set (Debian 12's sway and kitty, then sid's
 * current ones; `TETHER_PEER_SETS=sid` picks one). Fails with one clear line (exit 1) when a
 * step does not happen, and removes everything it created in any case.
 */
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lsAsUser } from "../tests/support/kitty.ts";
import { PEER_SETS, type PeerSet } from "../tests/support/peer_set.ts";
import { startSway, type SwayInstance } from "../tests/support/sway.ts";
import {
  killTree,
  makeRuntimeDir,
  pidExists,
  runAsUser,
  TEST_USER,
  userIds,
} from "../tests/support/test_user.ts";
import { startTracker, tetherBinary, type TrackerProcess } from "../tests/e2e/focus_support.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms for up to 30 s; throws `failure` if it never holds. */
async function within30s<T>(
  check: () => T | undefined | Promise<T | undefined>,
  failure: string,
): Promise<T> {
  for (let tries = 0; tries < 300; tries++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(failure);
}

/** The demo on one peer set; true when every step happened. */
async function demo(peers: PeerSet): Promise<boolean> {
  const { uid, gid } = userIds();
  const runtimeDir = await makeRuntimeDir();
  const home = mkdtempSync(join(tmpdir(), "tether-demo-home-"));
  chownSync(home, uid, gid);
  chmodSync(home, 0o700);
  const userEnv = { HOME: home, XDG_RUNTIME_DIR: runtimeDir };

  let sway: SwayInstance | null = null;
  let tracker: TrackerProcess | null = null;
  const kitties: number[] = [];
  let failed = false;
  try {
    // 1. What a user runs once: tether kitty setup, then the printed line goes into kitty.conf.
    const setup = await runAsUser(TEST_USER, [...tetherBinary(), "kitty", "setup"], userEnv);
    if (setup.code !== 0) {
      throw new Error(`tether kitty setup exited ${setup.code}: ${setup.stderr}`);
    }
    console.log(`## ${peers.name} ${peers.label("sway", "kitty")}`);
    console.log("$ tether kitty setup");
    console.log(setup.stdout.trimEnd().replace(/^/gm, "  "));
    const kittyConf = setup.stdout.match(/^Add this line at the end of (.+), then restart kitty:$/m)
      ?.[1];
    const includeLine = setup.stdout.match(/^ {4}(include .+)$/m)?.[1];
    const passwordFile = setup.stdout.match(/^password +(\S+) /m)?.[1];
    if (!kittyConf || !includeLine || !passwordFile) {
      throw new Error(`tether kitty setup printed no include line:\n${setup.stdout}`);
    }
    // `shell /bin/sh`: the test user's login shell may not exist in a container.
    writeFileSync(kittyConf, `shell /bin/sh\n${includeLine}\n`, { mode: 0o644 });
    chownSync(kittyConf, uid, gid);
    console.log(`kitty.conf: shell /bin/sh + "${includeLine}"`);

    // 2. The sandbox: headless sway, one kitty per workspace.
    sway = await startSway({ runtimeDir, peers });
    const session = sway;
    const treePids = async () =>
      [...(await session.swaymsg(["-t", "get_tree"])).stdout.matchAll(/"pid": (\d+)/g)].map(
        (match) => Number(match[1]),
      );
    for (let workspace = 1; workspace <= 3; workspace++) {
      await session.swaymsg(["workspace", "number", String(workspace)]);
      await session.exec(
        `env LIBGL_ALWAYS_SOFTWARE=1 kitty --config ${kittyConf} -T kitty-${workspace}`,
      );
      kitties.push(
        await within30s(
          async () => (await treePids()).find((pid) => !kitties.includes(pid)),
          `kitty ${workspace} never appeared in sway's tree within 30 s (is kitty installed? ` +
            `scripts/setup.sh installs it)`,
        ),
      );
    }
    for (const pid of kitties) {
      const socket = join(runtimeDir, "kitty", `kitty-${pid}.sock`);
      await within30s(() => {
        if (!pidExists(pid)) throw new Error(`kitty ${pid} exited before opening ${socket}`);
        return existsSync(socket) ? true : undefined;
      }, `kitty ${pid} opened no remote-control socket at ${socket} within 30 s`);
    }
    await sleep(1500); // let each kitty spawn its shell (its public key lives there)
    // kitty's own `kitty @ ls`, as the user: kitty >= 0.36.2 answers no other uid (root included).
    const size = async (pid: number) => {
      const socket = join(runtimeDir, "kitty", `kitty-${pid}.sock`);
      const window = (await lsAsUser(peers, TEST_USER, pid, socket, passwordFile))[0]?.windows[0];
      return window ? `${window.columns}x${window.lines}` : "?";
    };
    const sizes = async () => (await Promise.all(kitties.map(size))).join("  ");
    console.log(`three kitties on three workspaces: ${kitties.join(", ")}`);
    await session.swaymsg([`[pid=${kitties[0]}]`, "focus"]);
    console.log(`sizes before tether:       ${await sizes()}`);

    // 3. tether focus, as the same user, with the defaults (the password file setup wrote).
    const running = await startTracker([], { ...userEnv, SWAYSOCK: session.socketPath }, {
      user: TEST_USER,
    });
    tracker = running;
    let printed = 0;
    const flush = () => {
      for (const line of running.lines.slice(printed)) console.log("  " + JSON.stringify(line));
      printed = running.lines.length;
    };
    await running.waitForLine((line) => line.event === "focus_gained");
    flush();
    console.log(`sizes with kitty 1 focused: ${await sizes()}`);
    for (const index of [1, 2, 0]) {
      const from = running.lines.length;
      await session.swaymsg([`[pid=${kitties[index]}]`, "focus"]);
      await running.waitForLine(
        (line) => line.event === "focus_gained" && line.pid === kitties[index],
        { from },
      );
      await sleep(200);
      flush();
      console.log(`sizes with kitty ${index + 1} focused: ${await sizes()}`);
    }
    running.signal("SIGTERM");
    console.log(`tether focus exited ${await running.exited()} on SIGTERM`);
    flush();
    console.log(`sizes after tether:        ${await sizes()}`);
  } catch (error) {
    failed = true;
    console.error(`demo: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await tracker?.kill();
    await sway?.stop();
    for (const pid of kitties) if (pidExists(pid)) killTree(pid);
    rmSync(runtimeDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
  return !failed;
}

let allPassed = true;
for (const peers of PEER_SETS) allPassed = (await demo(peers)) && allPassed;
if (!allPassed) Deno.exit(1);
