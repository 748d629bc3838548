/**
 * Shared setup of the real-peer scenarios of `tether focus` per kitty OS window (issue 9):
 * sessions (sway with or without a virtual keyboard, i3), kitty A with two OS windows and kitty
 * B, sizes read through kitty's own `ls`, and the tracker-line waits.
 */
import assert from "node:assert/strict";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startI3 } from "../support/i3.ts";
import { lsAsUser } from "../support/kitty.ts";
import type { PeerSet } from "../support/peer_set.ts";
import { startSway } from "../support/sway.ts";
import {
  killTree,
  makeRuntimeDir,
  pidExists,
  type RunResult,
  TEST_USER,
  userIds,
} from "../support/test_user.ts";
import { sleep, waitFor } from "../support/wait.ts";
import { startTracker, type TrackerLine, type TrackerProcess } from "./focus_support.ts";

/** The kitty remote-control password of these scenarios (never in tether's output). */
export const PASSWORD = `osw-e2e-${crypto.randomUUID()}`;

/** Resolves after `ms`. */
export { sleep };

interface TreeNode {
  id: number;
  pid?: number;
  app_id?: string | null;
  window?: number | null;
  window_properties?: { class?: string };
  nodes?: TreeNode[];
  floating_nodes?: TreeNode[];
}

/** Every kitty container (Wayland app id or X11 class). */
function kittyNodes(node: TreeNode, found: TreeNode[] = []): TreeNode[] {
  const kitty = node.app_id === "kitty" || node.window_properties?.class === "kitty";
  if (kitty && (typeof node.window === "number" || typeof node.pid === "number")) found.push(node);
  for (const child of [...(node.nodes ?? []), ...(node.floating_nodes ?? [])]) {
    kittyNodes(child, found);
  }
  return found;
}

/** A compositor session the scenario drives (sway or i3). */
export interface Session {
  kind: "sway" | "i3";
  runtimeDir: string;
  /** Runs an IPC command (swaymsg / i3-msg) as the user. */
  msg(args: readonly string[]): Promise<RunResult>;
  /** `exec` in the session. */
  exec(command: string): Promise<RunResult>;
  /** The environment of `tether focus` in this session. */
  trackerEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** One kitty OS window: its process, kitty's OS window id, the compositor's container id. */
export interface OsWindow {
  name: string;
  pid: number;
  osWindowId: number;
  conId: number;
}

/** One run: its session, peer set, kitty config dir, password file and the kitties started. */
export interface Scenario {
  session: Session;
  set: PeerSet;
  configDir: string;
  passwordFile: string;
  launched: number[];
}

/** Starts kitty on `workspace` (a `--single-instance` group joins an existing process). */
async function launchOsWindow(
  scenario: Scenario,
  name: string,
  workspace: number,
  group: string | null,
): Promise<OsWindow> {
  const { session, configDir } = scenario;
  const tree = async () => JSON.parse((await session.msg(["-t", "get_tree"])).stdout) as TreeNode;
  const known = new Set(kittyNodes(await tree()).map((node) => node.id));
  assert.equal((await session.msg(["workspace", "number", String(workspace)])).code, 0);
  const single = group === null ? "" : `--single-instance --instance-group ${group} `;
  const launched = await session.exec(
    `env LIBGL_ALWAYS_SOFTWARE=1 KITTY_CONFIG_DIRECTORY=${configDir} kitty ${single}--config ${configDir}/kitty.conf > ${configDir}/kitty-${name}.log 2>&1`,
  );
  assert.equal(launched.code, 0, launched.stderr);
  const node = await waitFor(
    `kitty OS window ${name} on workspace ${workspace}`,
    async () => kittyNodes(await tree()).find((candidate) => !known.has(candidate.id)),
    30_000,
    100,
  );
  // i3 reports no PIDs: the kitty is the one whose ls has this X11 window.
  const pid = node.pid ?? await waitFor(
    `the kitty of X11 window ${node.window}`,
    async () => {
      const sockets = readdirSync(join(session.runtimeDir, "kitty"));
      const pids = sockets.flatMap((name) => /^kitty-(\d+)\.sock$/.exec(name)?.[1] ?? []);
      for (const candidate of pids.map(Number)) {
        const osWindows = await ls(scenario, candidate).catch(() => []);
        if (osWindows.some((osWindow) => osWindow.platform_window_id === node.window)) {
          return candidate;
        }
      }
      return undefined;
    },
    30_000,
    100,
  );
  const socket = join(session.runtimeDir, "kitty", `kitty-${pid}.sock`);
  const osWindows = await waitFor(
    `${socket} answering ls`,
    () => ls(scenario, pid).catch(() => undefined),
    30_000,
    100,
  );
  const osWindowId = node.window
    ? osWindows.find((osWindow) => osWindow.platform_window_id === node.window)!.id
    : Math.max(...osWindows.map((osWindow) => osWindow.id)); // the newest OS window
  return { name, pid, osWindowId, conId: node.id };
}

/** kitty's own `ls` of kitty `pid`, as the test user. */
export function ls(scenario: Scenario, pid: number) {
  const socket = join(scenario.session.runtimeDir, "kitty", `kitty-${pid}.sock`);
  return lsAsUser(scenario.set, TEST_USER, pid, socket, scenario.passwordFile);
}

/** Cell geometry of every OS window of the given kitties, by `pid/osWindowId`. */
export async function sizes(scenario: Scenario, pids: number[]) {
  const result = new Map<string, { columns: number; lines: number }>();
  for (const pid of new Set(pids)) {
    for (const osWindow of await ls(scenario, pid)) {
      const window = osWindow.windows[0]!;
      result.set(`${pid}/${osWindow.id}`, { columns: window.columns, lines: window.lines });
    }
  }
  return result;
}

/** The geometry of `window` as it is now: taken before tether runs, it is the base size. */
export async function geometryOf(scenario: Scenario, window: OsWindow) {
  return (await sizes(scenario, [window.pid])).get(`${window.pid}/${window.osWindowId}`)!;
}

/** `tether focus` for the scenario's compositor and password file, as the test user. */
export function startScenarioTracker(scenario: Scenario): Promise<TrackerProcess> {
  return startTracker(
    ["--compositor", scenario.session.kind, "--password-file", scenario.passwordFile],
    scenario.session.trackerEnv,
    { user: TEST_USER },
  );
}

/**
 * Asserts that exactly `enlarged` (or nothing) is grown and every other OS window is at the
 * base geometry.
 */
export async function assertOnlyEnlarged(
  scenario: Scenario,
  all: OsWindow[],
  base: { columns: number; lines: number },
  enlarged: OsWindow | null,
  when: string,
) {
  const measured = await sizes(scenario, all.map((w) => w.pid));
  for (const window of all) {
    const size = measured.get(`${window.pid}/${window.osWindowId}`);
    assert.ok(size, `${when}: OS window ${window.name} is in its kitty's ls`);
    if (window === enlarged) {
      assert.ok(
        size.columns < base.columns && size.lines < base.lines,
        `${when}: ${window.name} should be enlarged, is ${JSON.stringify(size)} (base ${
          JSON.stringify(base)
        })`,
      );
    } else {
      assert.deepEqual(size, base, `${when}: ${window.name} should be at its base size`);
    }
  }
}

/** Waits for the tracker line `event` (optionally with `status`) of `window` from index `from`. */
export function line(
  tracker: TrackerProcess,
  event: string,
  window: OsWindow,
  from: number,
  status?: string,
): Promise<TrackerLine> {
  return tracker.waitForLine(
    (l) =>
      l.event === event && l.pid === window.pid && l.window_id === window.conId &&
      (status === undefined || l.status === status),
    { from, what: `${event} of ${window.name}`, timeoutMs: 45_000 },
  );
}

/**
 * Runs `body` in a fresh session (runtime dir, kitty config with the password, compositor);
 * kills every kitty started and stops the session afterwards.
 */
export async function withScenario(
  set: PeerSet,
  startSession: (runtimeDir: string) => Promise<Session>,
  body: (scenario: Scenario) => Promise<void>,
) {
  set.assertReady();
  const { uid, gid } = userIds();
  const runtimeDir = await makeRuntimeDir();
  const kittyDir = join(runtimeDir, "kitty");
  mkdirSync(kittyDir, { mode: 0o700 });
  chownSync(kittyDir, uid, gid);
  const configDir = mkdtempSync(join(tmpdir(), "tether-focus-osw-"));
  chownSync(configDir, uid, gid);
  writeFileSync(
    join(configDir, "kitty.conf"),
    [
      "shell /bin/sh",
      "allow_remote_control password",
      `remote_control_password "${PASSWORD}" set-font-size action ls`,
      "listen_on unix:${XDG_RUNTIME_DIR}/kitty/kitty-{kitty_pid}.sock",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const passwordFile = join(configDir, "rc.password");
  writeFileSync(passwordFile, PASSWORD + "\n", { mode: 0o600 });
  chownSync(passwordFile, uid, gid);
  let session: Session | null = null;
  const scenario: Scenario = {
    session: null as unknown as Session,
    set,
    configDir,
    passwordFile,
    launched: [],
  };
  try {
    session = await startSession(runtimeDir);
    scenario.session = session;
    await body(scenario);
  } finally {
    for (const pid of new Set(scenario.launched)) if (pidExists(pid)) killTree(pid);
    await session?.stop();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(runtimeDir, { recursive: true, force: true });
  }
}

/** A1 and A2: two OS windows of kitty A; B: a second kitty; on workspaces 1, 2 and 3. */
export async function openWindows(scenario: Scenario) {
  const group = `tether-osw-${crypto.randomUUID().slice(0, 8)}`;
  const a1 = await launchOsWindow(scenario, "A1", 1, group);
  scenario.launched.push(a1.pid);
  const a2 = await launchOsWindow(scenario, "A2", 2, group);
  assert.equal(a2.pid, a1.pid, "A2 opened in A1's kitty process");
  assert.notEqual(a2.osWindowId, a1.osWindowId);
  const b = await launchOsWindow(scenario, "B", 3, null);
  scenario.launched.push(b.pid);
  return { a1, a2, b };
}

/** Focuses `window` through the compositor (switching to its workspace). */
export const focusOn = async (scenario: Scenario, window: OsWindow) => {
  const result = await scenario.session.msg([`[con_id=${window.conId}]`, "focus"]);
  assert.equal(result.code, 0, `focus ${window.name}: ${result.stdout} ${result.stderr}`);
};

/**
 * A headless sway session; with `keyboard`, a `wtype` virtual keyboard is held connected (and
 * killed by its PID at stop).
 */
export function swaySession(set: PeerSet, keyboard: boolean) {
  return async (runtimeDir: string): Promise<Session> => {
    const sway = await startSway({ runtimeDir, peers: set });
    const wtypePidFile = join(runtimeDir, "wtype.pid");
    if (keyboard) {
      // A virtual keyboard for ten minutes: kitty then hears of keyboard focus as on a desktop.
      // Its PID is kept: it outlives sway otherwise (and with it the real-peer lock's fd).
      const started = await sway.exec(`echo $$ > ${wtypePidFile}; exec wtype -s 600000 -k Shift_L`);
      assert.equal(started.code, 0);
      await sleep(500);
    }
    return {
      kind: "sway",
      runtimeDir,
      msg: (args) => sway.swaymsg(args),
      exec: (command) => sway.exec(command),
      trackerEnv: {
        XDG_RUNTIME_DIR: runtimeDir,
        SWAYSOCK: sway.socketPath,
        HOME: `/home/${TEST_USER}`,
        NO_COLOR: "1",
      },
      stop: async () => {
        if (existsSync(wtypePidFile)) {
          const wtype = Number(readFileSync(wtypePidFile, "utf8").trim());
          if (wtype > 0 && pidExists(wtype)) killTree(wtype);
        }
        await sway.stop();
        if (pidExists(sway.runuserPid)) killTree(sway.runuserPid);
      },
    };
  };
}

/** An i3 session under Xvfb. */
export function i3Session(set: PeerSet) {
  return async (runtimeDir: string): Promise<Session> => {
    const i3 = await startI3({ runtimeDir, peers: set });
    return {
      kind: "i3",
      runtimeDir,
      msg: (args) => i3.i3msg(args),
      exec: (command) => i3.exec(command),
      trackerEnv: {
        XDG_RUNTIME_DIR: runtimeDir,
        I3SOCK: i3.socketPath,
        HOME: `/home/${TEST_USER}`,
        NO_COLOR: "1",
      },
      stop: () => i3.stop(),
    };
  };
}
