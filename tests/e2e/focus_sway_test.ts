/**
 * `tether focus` end to end on real headless sway with real kitty instances as Wayland clients,
 * once per peer set (Debian 12's sway 1.7 + kitty 0.26.5, sid's current ones), each on its own workspace (so one kitty's window size never depends on the
 * others). sway, kitty and the tracker all run as the unprivileged test user — the realistic
 * setup, and sway 1.7 refuses root anyway. The test (root) reads sizes through kitty's own `ls`
 * (window columns/lines) and moves focus with `swaymsg '[pid=N] focus'`.
 */
import assert from "node:assert/strict";
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lsAsUser } from "../support/kitty.ts";
import { startSway, type SwayInstance } from "../support/sway.ts";
import { forEachPeerSet } from "../support/peer_set.ts";
import {
  killTree,
  makeRuntimeDir,
  pidExists,
  runAsUser,
  TEST_USER,
  userIds,
} from "../support/test_user.ts";
import { waitFor } from "../support/wait.ts";
import {
  startTracker,
  tetherBinary,
  type TrackerLine,
  type TrackerProcess,
} from "./focus_support.ts";

const PASSWORD = `sway-e2e-${crypto.randomUUID()}`;
const WRONG_PASSWORD = `not-the-password-${crypto.randomUUID()}`;

type KittyConfig = "password" | "no_remote_control" | "wrong_password";

interface SwayKitty {
  pid: number;
  windowId: number;
}

/** Every kitty this file started (a crashed sway leaves its kitties behind as orphans). */
const launchedKittyPids: number[] = [];

interface TreeNode {
  id: number;
  pid?: number;
  app_id?: string | null;
  nodes?: TreeNode[];
  floating_nodes?: TreeNode[];
}

function kittyNodes(node: TreeNode, found: TreeNode[] = []): TreeNode[] {
  if (node.app_id === "kitty" && typeof node.pid === "number") found.push(node);
  for (const child of [...(node.nodes ?? []), ...(node.floating_nodes ?? [])]) {
    kittyNodes(child, found);
  }
  return found;
}

function writeKittyConfig(dir: string, config: KittyConfig): string {
  const path = join(dir, `kitty-${config}.conf`);
  const listen = "listen_on unix:${XDG_RUNTIME_DIR}/kitty/kitty-{kitty_pid}.sock";
  // The test user's login shell is nologin: give the window a shell that stays.
  const lines = ["shell /bin/sh"];
  if (config === "no_remote_control") lines.push("allow_remote_control no");
  else {
    const password = config === "password" ? PASSWORD : WRONG_PASSWORD;
    lines.push(
      "allow_remote_control password",
      `remote_control_password "${password}" set-font-size action ls`,
      listen,
    );
  }
  writeFileSync(path, lines.join("\n") + "\n", { mode: 0o644 });
  return path;
}

/** Starts kitty on workspace `workspace` of `sway` and returns its PID and container id. */
async function launchKitty(
  sway: SwayInstance,
  configDir: string,
  config: KittyConfig,
  workspace: number,
): Promise<SwayKitty> {
  const tree = async () => JSON.parse((await sway.swaymsg(["-t", "get_tree"])).stdout) as TreeNode;
  const known = new Set(kittyNodes(await tree()).map((node) => node.pid));
  assert.equal((await sway.swaymsg(["workspace", "number", String(workspace)])).code, 0);
  const configPath = join(configDir, `kitty-${config}.conf`);
  const launched = await sway.exec(
    `env LIBGL_ALWAYS_SOFTWARE=1 KITTY_CONFIG_DIRECTORY=${configDir} kitty --config ${configPath} > ${configDir}/kitty-ws${workspace}.log 2>&1`,
  );
  assert.equal(launched.code, 0, launched.stderr);
  const node = await waitFor(
    `kitty (${config}) on workspace ${workspace}`,
    async () => kittyNodes(await tree()).find((candidate) => !known.has(candidate.pid)),
    30_000,
    100,
  );
  if (config !== "no_remote_control") {
    const socket = join(sway.runtimeDir, "kitty", `kitty-${node.pid}.sock`);
    await waitFor(`${socket}`, () => (existsSync(socket) ? true : undefined), 30_000, 100);
  }
  launchedKittyPids.push(node.pid!);
  return { pid: node.pid!, windowId: node.id };
}

forEachPeerSet((set) =>
  Deno.test({
    name: `tether focus on real headless sway with real kitty ${set.label("kitty", "sway")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const { uid, gid } = userIds();
      const runtimeDir = await makeRuntimeDir();
      const kittyDir = join(runtimeDir, "kitty");
      mkdirSync(kittyDir, { mode: 0o700 });
      chownSync(kittyDir, uid, gid);
      const configDir = mkdtempSync(join(tmpdir(), "tether-focus-sway-conf-"));
      chownSync(configDir, uid, gid);
      for (const config of ["password", "no_remote_control", "wrong_password"] as const) {
        writeKittyConfig(configDir, config);
      }
      const passwordFile = join(configDir, "rc.password");
      writeFileSync(passwordFile, PASSWORD + "\n", { mode: 0o600 });
      chownSync(passwordFile, uid, gid);

      const sways: SwayInstance[] = [];
      const trackers: TrackerProcess[] = [];
      const outputs: string[] = [];
      // The test's own view of sizes: kitty's own `kitty @ ls`, as the user (kitty >= 0.36.2
      // answers no other uid), with the same password.
      const size = async (kitty: SwayKitty) => {
        const socket = join(runtimeDir, "kitty", `kitty-${kitty.pid}.sock`);
        const osWindows = await lsAsUser(set, TEST_USER, kitty.pid, socket, passwordFile);
        const window = osWindows[0]?.windows[0];
        assert.ok(window, `kitty ${kitty.pid} has a window`);
        return { columns: window.columns, lines: window.lines };
      };
      const focus = async (sway: SwayInstance, kitty: SwayKitty) => {
        const result = await sway.swaymsg([`[pid=${kitty.pid}]`, "focus"]);
        assert.equal(
          result.code,
          0,
          `swaymsg [pid=${kitty.pid}] focus: ${JSON.stringify(result.stdout)} ${result.stderr}`,
        );
      };
      const line = (tracker: TrackerProcess, event: string, pid: number, from: number) =>
        tracker.waitForLine((l: TrackerLine) => l.event === event && l.pid === pid, {
          from,
          what: `${event} of kitty ${pid}`,
          timeoutMs: 45_000,
        });
      try {
        let sway = await startSway({ runtimeDir, peers: set });
        sways.push(sway);
        const a = await launchKitty(sway, configDir, "password", 1);
        const b = await launchKitty(sway, configDir, "password", 2);
        const c = await launchKitty(sway, configDir, "no_remote_control", 3);
        const d = await launchKitty(sway, configDir, "wrong_password", 4);
        const e = await launchKitty(sway, configDir, "password", 5);
        await focus(sway, a);
        const base = await size(a); // every kitty fills its own 1280x720 workspace
        assert.deepEqual(await size(b), base);
        const env = {
          XDG_RUNTIME_DIR: runtimeDir,
          SWAYSOCK: sway.socketPath,
          HOME: `/home/${TEST_USER}`,
          NO_COLOR: "1",
        };
        const args = [
          "--compositor",
          "auto",
          "--password-file",
          passwordFile,
          "--socket-timeout",
          "1",
        ];
        const tracker = await startTracker(args, env, { user: TEST_USER });
        trackers.push(tracker);
        let f: SwayKitty | null = null;
        const grown = (measured: { columns: number; lines: number }) =>
          measured.columns < base.columns && measured.lines < base.lines;

        await t.step("the kitty focused at start is grown", async () => {
          assert.equal((await line(tracker, "focus_gained", a.pid, 0)).status, "success");
          assert.ok(grown(await size(a)));
        });

        await t.step("[pid=B] focus: exactly A shrinks back and B grows", async () => {
          const from = tracker.lines.length;
          await focus(sway, b);
          assert.equal((await line(tracker, "focus_lost", a.pid, from)).status, "success");
          const gained = await line(tracker, "focus_gained", b.pid, from);
          assert.equal(gained.status, "success");
          assert.equal(gained.window_id, b.windowId);
          assert.deepEqual(await size(a), base);
          assert.ok(grown(await size(b)));
          assert.deepEqual(await size(e), base, "an uninvolved kitty is untouched");
        });

        await t.step(
          "mixed configs: no remote control -> not_configured, wrong password -> failed(auth)",
          async () => {
            let from = tracker.lines.length;
            await focus(sway, c);
            assert.equal((await line(tracker, "focus_lost", b.pid, from)).status, "success");
            const notConfigured = await line(tracker, "focus_gained", c.pid, from);
            assert.equal(notConfigured.status, "not_configured");
            assert.match(
              (notConfigured.error as { message: string }).message,
              /socket|remote control/i,
            );
            from = tracker.lines.length;
            await focus(sway, d);
            const denied = await line(tracker, "focus_gained", d.pid, from);
            assert.equal(denied.status, "failed");
            from = tracker.lines.length;
            await focus(sway, a);
            assert.equal((await line(tracker, "focus_gained", a.pid, from)).status, "success");
            assert.ok(grown(await size(a)));
            assert.deepEqual(await size(b), base);

            const status = await runAsUser(TEST_USER, [
              ...tetherBinary(),
              "focus",
              "status",
              "--json",
            ], env);
            outputs.push(status.stdout, status.stderr);
            assert.equal(status.code, 0, status.stderr);
            const data = JSON.parse(status.stdout);
            const kitty = (pid: number) => data.kitties.find((k: { pid: number }) => k.pid === pid);
            assert.equal(kitty(a.pid).status, "ready");
            assert.equal(kitty(b.pid).status, "ready");
            assert.equal(kitty(c.pid).status, "not_configured");
            assert.equal(kitty(d.pid).status, "failed");
            assert.equal(kitty(d.pid).errors.at(-1).category, "auth");
            assert.equal(data.connection.compositor, "sway");
            assert.equal(data.connection.status, "connected");
            assert.equal(data.reconnection_count, 0);
          },
        );

        await t.step(
          "kill -STOP a kitty: times out, retried, failed; the others keep working",
          async () => {
            let from = tracker.lines.length;
            await focus(sway, e); // first contact while E still answers
            assert.equal((await line(tracker, "focus_gained", e.pid, from)).status, "success");
            from = tracker.lines.length;
            await focus(sway, a);
            assert.equal((await line(tracker, "focus_lost", e.pid, from)).status, "success");
            Deno.kill(e.pid, "SIGSTOP");
            try {
              from = tracker.lines.length;
              await focus(sway, e);
              const stalled = await line(tracker, "focus_gained", e.pid, from);
              assert.equal(stalled.status, "failed", JSON.stringify(stalled));
              assert.equal(stalled.attempts, 3, JSON.stringify(stalled));
              from = tracker.lines.length;
              await focus(sway, b);
              assert.equal((await line(tracker, "focus_gained", b.pid, from)).status, "success");
              assert.ok(grown(await size(b)));
              assert.deepEqual(await size(a), base);
            } finally {
              Deno.kill(e.pid, "SIGCONT");
              Deno.kill(e.pid, "SIGKILL");
            }
          },
        );

        await t.step(
          "kill -9 the enlarged kitty mid-run: reported, forgotten, the rest carries on",
          async () => {
            let from = tracker.lines.length;
            Deno.kill(b.pid, "SIGKILL");
            const lost = await line(tracker, "focus_lost", b.pid, from);
            assert.equal(lost.status, "failed");
            from = tracker.lines.length;
            await focus(sway, a);
            assert.equal((await line(tracker, "focus_gained", a.pid, from)).status, "success");
            assert.ok(grown(await size(a)));
          },
        );

        await t.step(
          "restart sway: the tracker re-discovers the new socket and resumes",
          async () => {
            const from = tracker.lines.length;
            const oldSocket = sway.socketPath;
            await sway.crash(); // its kitties go with it; the old socket stays behind, stale
            // The first attempt reports the loss itself; the next ones why nothing answers.
            const attempt = await tracker.waitForLine(
              (l) =>
                l.event === "reconnect_attempt" &&
                (l.error as { category: string }).category === "not_configured",
              { from, timeoutMs: 30_000, what: "a reconnect attempt that found no live socket" },
            );
            // The inherited $SWAYSOCK names the dead socket: said so, the path named once.
            const why = (attempt.error as { message: string }).message;
            assert.ok(why.includes(`$SWAYSOCK ${oldSocket}: connection refused`), why);
            assert.equal(why.split(oldSocket).length - 1, 1, why);
            // The kitties died with sway: gone from the status as soon as their processes
            // are, not left `ready` (they exit on their own once the Wayland display is gone).
            let listed: { pid: number }[] = [];
            await waitFor(
              () => `the crashed sway's kitties gone from the status: ${JSON.stringify(listed)}`,
              async () => {
                const during = await runAsUser(
                  TEST_USER,
                  [...tetherBinary(), "--json", "focus", "status"],
                  env,
                );
                listed = JSON.parse(during.stdout).kitties;
                return listed.length === 0;
              },
              10_000,
              200,
            );
            sway = await startSway({ runtimeDir, peers: set });
            sways.push(sway);
            f = await launchKitty(sway, configDir, "password", 1);
            await focus(sway, f);
            const connected = await tracker.waitForLine(
              (l) => l.event === "status_changed" && l.to === "connected",
              { from, timeoutMs: 30_000, what: "reconnected" },
            );
            assert.equal(connected.compositor, "sway");
            const gainedF = await line(tracker, "focus_gained", f.pid, from);
            assert.equal(gainedF.status, "success", JSON.stringify(gainedF));
            assert.ok(grown(await size(f)));
          },
        );

        await t.step("SIGTERM while a kitty is enlarged: it is shrunk back, exit 0", async () => {
          assert.ok(f !== null && grown(await size(f)));
          tracker.signal("SIGTERM");
          assert.equal(await tracker.exited(), 0);
          assert.deepEqual(await size(f), base);
          const after = await runAsUser(TEST_USER, [...tetherBinary(), "focus", "status"], env);
          assert.equal(after.code, 1);
          assert.match(after.stderr, /no tether focus is running/);
        });

        await t.step("the password appears in no output, log or error text", () => {
          for (const run of trackers) outputs.push(run.output().stdout, run.output().stderr);
          for (const text of outputs) {
            assert.ok(!text.includes(PASSWORD));
            assert.ok(!text.includes(WRONG_PASSWORD));
          }
        });
      } finally {
        for (const run of trackers) await run.kill();
        for (const sway of sways) await sway.stop();
        for (const pid of launchedKittyPids) if (pidExists(pid)) killTree(pid);
        for (const sway of sways) if (pidExists(sway.runuserPid)) killTree(sway.runuserPid);
        rmSync(runtimeDir, { recursive: true, force: true });
        rmSync(configDir, { recursive: true, force: true });
      }
    },
  })
);
