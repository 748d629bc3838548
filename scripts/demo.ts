/**
 * scripts/demo.sh's body: headless sway + three kitties (password mode) + `tether focus`, focus
 * moved with swaymsg, sizes read through kitty's `ls`. Everything runs as the test user.
 */
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KittyRegistry } from "../src/kitty/registry.ts";
import { startSway } from "../tests/support/sway.ts";
import {
  killTree,
  makeRuntimeDir,
  pidExists,
  TEST_USER,
  userIds,
} from "../tests/support/test_user.ts";
import { startTracker } from "../tests/e2e/focus_support.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const { uid, gid } = userIds();
const runtimeDir = await makeRuntimeDir();
mkdirSync(join(runtimeDir, "kitty"), { mode: 0o700 });
chownSync(join(runtimeDir, "kitty"), uid, gid);
const confDir = mkdtempSync(join(tmpdir(), "tether-demo-"));
chownSync(confDir, uid, gid);
const password = crypto.randomUUID();
const passwordFile = join(confDir, "rc.password");
writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
chownSync(passwordFile, uid, gid);
writeFileSync(
  join(confDir, "kitty.conf"),
  [
    "shell /bin/sh",
    "allow_remote_control password",
    `remote_control_password "${password}" set-font-size ls`,
    "listen_on unix:${XDG_RUNTIME_DIR}/kitty/kitty-{kitty_pid}.sock",
  ].join("\n") + "\n",
  { mode: 0o644 },
);

const sway = await startSway({ runtimeDir });
const kitties: number[] = [];
const inspector = new KittyRegistry({ env: { XDG_RUNTIME_DIR: runtimeDir }, passwordFile });
let tracker: Awaited<ReturnType<typeof startTracker>> | null = null;
try {
  const tree = async () => (await sway.swaymsg(["-t", "get_tree"])).stdout;
  for (let workspace = 1; workspace <= 3; workspace++) {
    await sway.swaymsg(["workspace", "number", String(workspace)]);
    await sway.exec(
      `env LIBGL_ALWAYS_SOFTWARE=1 kitty --config ${confDir}/kitty.conf -T kitty-${workspace}`,
    );
    for (let tries = 0; tries < 300; tries++) {
      const pids = [...(await tree()).matchAll(/"pid": (\d+)/g)].map((m) => Number(m[1]));
      const fresh = pids.find((pid) => !kitties.includes(pid));
      if (fresh !== undefined) {
        kitties.push(fresh);
        break;
      }
      await sleep(100);
    }
  }
  for (const pid of kitties) {
    for (let tries = 0; tries < 300; tries++) {
      try {
        Deno.statSync(join(runtimeDir, "kitty", `kitty-${pid}.sock`));
        break;
      } catch {
        await sleep(100);
      }
    }
  }
  await sleep(1500); // let each kitty spawn its shell (its public key lives there)
  const size = async (pid: number) => {
    const window = (await inspector.listWindows(pid))[0]?.windows[0];
    return window ? `${window.columns}x${window.lines}` : "?";
  };
  const sizes = async () => (await Promise.all(kitties.map(size))).join("  ");
  console.log(`three kitties on three workspaces: ${kitties.join(", ")}`);
  await sway.swaymsg([`[pid=${kitties[0]}]`, "focus"]);
  console.log(`sizes before tether:       ${await sizes()}`);

  tracker = await startTracker(["--password-file", passwordFile], {
    XDG_RUNTIME_DIR: runtimeDir,
    SWAYSOCK: sway.socketPath,
    HOME: `/home/${TEST_USER}`,
  }, { user: TEST_USER });
  let printed = 0;
  const flush = () => {
    for (const line of tracker!.lines.slice(printed)) console.log("  " + JSON.stringify(line));
    printed = tracker!.lines.length;
  };
  await tracker.waitForLine((line) => line.event === "focus_gained");
  flush();
  console.log(`sizes with kitty 1 focused: ${await sizes()}`);
  for (const index of [1, 2, 0]) {
    const from = tracker.lines.length;
    await sway.swaymsg([`[pid=${kitties[index]}]`, "focus"]);
    await tracker.waitForLine(
      (line) => line.event === "focus_gained" && line.pid === kitties[index],
      { from },
    );
    await sleep(200);
    flush();
    console.log(`sizes with kitty ${index + 1} focused: ${await sizes()}`);
  }
  tracker.signal("SIGTERM");
  console.log(`tether focus exited ${await tracker.exited()} on SIGTERM`);
  flush();
  console.log(`sizes after tether:        ${await sizes()}`);
} finally {
  await tracker?.kill();
  await inspector.close();
  await sway.stop();
  for (const pid of kitties) if (pidExists(pid)) killTree(pid);
  rmSync(runtimeDir, { recursive: true, force: true });
  rmSync(confDir, { recursive: true, force: true });
}
