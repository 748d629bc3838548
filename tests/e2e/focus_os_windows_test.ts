/**
 * `tether focus` per kitty OS window on real peers (issue 9), once per peer set: one kitty
 * process with two OS windows (a second `kitty --single-instance` opens its window in the first
 * process) plus a second kitty, each OS window on its own workspace so all have the same size.
 * Sizes are read per OS window through kitty's own `kitty @ ls` (columns/lines), as the user.
 *
 * - headless sway WITH a virtual keyboard (`wtype` holds one connected): kitty learns keyboard
 *   focus, so the mapping is exact; a move between the two OS windows of one kitty shrinks the
 *   one that lost focus and grows the one that gained it.
 * - headless sway WITHOUT a keyboard: kitty may not learn which OS window has focus; then the
 *   two OS windows of the first kitty are `ambiguous` and never resized, and in no case is a
 *   wrong OS window resized; the second kitty (one OS window) is always resized.
 * - i3 under Xvfb: X11 window ids map exactly.
 *
 * On kitty < 0.35 (Debian 12's 0.26.5) the shrink of the OS window that lost focus to another
 * OS window of the same kitty is a reset of all of them (`effect: reset_all`); on newer kitty it
 * is an `action` on exactly that OS window. Each set asserts its own behaviour.
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
import { forEachPeerSet, type PeerSet } from "../support/peer_set.ts";
import { startSway } from "../support/sway.ts";
import {
  killTree,
  makeRuntimeDir,
  pidExists,
  runAsUser,
  type RunResult,
  TEST_USER,
  userIds,
} from "../support/test_user.ts";
import {
  startTracker,
  tetherBinary,
  type TrackerLine,
  type TrackerProcess,
} from "./focus_support.ts";

const PASSWORD = `osw-e2e-${crypto.randomUUID()}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

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
interface Session {
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
interface OsWindow {
  name: string;
  pid: number;
  osWindowId: number;
  conId: number;
}

interface Scenario {
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
  const node = await until(
    `kitty OS window ${name} on workspace ${workspace}`,
    async () => kittyNodes(await tree()).find((candidate) => !known.has(candidate.id)),
  );
  // i3 reports no PIDs: the kitty is the one whose ls has this X11 window.
  const pid = node.pid ?? await until(`the kitty of X11 window ${node.window}`, async () => {
    const sockets = readdirSync(join(session.runtimeDir, "kitty"));
    const pids = sockets.flatMap((name) => /^kitty-(\d+)\.sock$/.exec(name)?.[1] ?? []);
    for (const candidate of pids.map(Number)) {
      const osWindows = await ls(scenario, candidate).catch(() => []);
      if (osWindows.some((osWindow) => osWindow.platform_window_id === node.window)) {
        return candidate;
      }
    }
    return undefined;
  });
  const socket = join(session.runtimeDir, "kitty", `kitty-${pid}.sock`);
  const osWindows = await until(
    `${socket} answering ls`,
    () => ls(scenario, pid).catch(() => undefined),
  );
  const osWindowId = node.window
    ? osWindows.find((osWindow) => osWindow.platform_window_id === node.window)!.id
    : Math.max(...osWindows.map((osWindow) => osWindow.id)); // the newest OS window
  return { name, pid, osWindowId, conId: node.id };
}

function ls(scenario: Scenario, pid: number) {
  const socket = join(scenario.session.runtimeDir, "kitty", `kitty-${pid}.sock`);
  return lsAsUser(scenario.set, TEST_USER, pid, socket, scenario.passwordFile);
}

/** Cell geometry of every OS window of the given kitties, by `pid/osWindowId`. */
async function sizes(scenario: Scenario, pids: number[]) {
  const result = new Map<string, { columns: number; lines: number }>();
  for (const pid of new Set(pids)) {
    for (const osWindow of await ls(scenario, pid)) {
      const window = osWindow.windows[0]!;
      result.set(`${pid}/${osWindow.id}`, { columns: window.columns, lines: window.lines });
    }
  }
  return result;
}

/**
 * Asserts that exactly `enlarged` (or nothing) is grown and every other OS window is at the
 * base geometry.
 */
async function assertOnlyEnlarged(
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

function line(
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

async function withScenario(
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

/** A1 and A2: two OS windows of kitty A; B: a second kitty. */
async function openWindows(scenario: Scenario) {
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

const focusOn = async (scenario: Scenario, window: OsWindow) => {
  const result = await scenario.session.msg([`[con_id=${window.conId}]`, "focus"]);
  assert.equal(result.code, 0, `focus ${window.name}: ${result.stdout} ${result.stderr}`);
};

/**
 * The exact scenario: exactly the focused OS window is enlarged after every move, between OS
 * windows of one kitty too; SIGTERM shrinks back the enlarged one. On Wayland tether first has
 * to see kitty A follow a focus move between its OS windows before it believes A's reports.
 */
async function exactScenario(scenario: Scenario, t: Deno.TestContext) {
  const { a1, a2, b } = await openWindows(scenario);
  const all = [a1, a2, b];
  const wayland = scenario.session.kind === "sway";
  await focusOn(scenario, wayland ? b : a1);
  const base = (await sizes(scenario, [b.pid])).get(`${b.pid}/${b.osWindowId}`)!;
  await assertOnlyEnlarged(scenario, all, base, null, "before tether");
  const tracker = await startTracker(
    ["--compositor", scenario.session.kind, "--password-file", scenario.passwordFile],
    scenario.session.trackerEnv,
    { user: TEST_USER },
  );
  const targeted = scenario.set.atLeast("kitty", "0.35.0");
  let enlarged: OsWindow = wayland ? b : a1;
  /** Moves focus to `next`: the enlarged one shrinks back (by a reset on kitty < 0.35 when it is in the same kitty), `next` grows. */
  const moveTo = async (next: OsWindow) => {
    const from = tracker.lines.length;
    await focusOn(scenario, next);
    const lost = await line(tracker, "focus_lost", enlarged, from);
    assert.equal(lost.status, "success", JSON.stringify(lost));
    assert.equal(lost.os_window_id, enlarged.osWindowId);
    const sameKitty = enlarged.pid === next.pid;
    // kitty < 0.35 changes only its active OS window (now `next`): the other comes back by a reset.
    assert.equal(
      lost.effect,
      sameKitty && !targeted ? "reset_all" : undefined,
      JSON.stringify(lost),
    );
    const gained = await line(tracker, "focus_gained", next, from, "success");
    assert.equal(gained.os_window_id, next.osWindowId);
    await assertOnlyEnlarged(scenario, all, base, next, `${enlarged.name} -> ${next.name}`);
    enlarged = next;
  };
  try {
    await t.step(`start on ${enlarged.name}: it grows`, async () => {
      const gained = await line(tracker, "focus_gained", enlarged, 0);
      assert.equal(gained.status, "success", JSON.stringify(gained));
      assert.equal(gained.os_window_id, enlarged.osWindowId);
      await assertOnlyEnlarged(scenario, all, base, enlarged, `start on ${enlarged.name}`);
    });
    if (wayland) {
      await t.step(
        "B -> A1: kitty A's first report proves nothing yet (ambiguous); -> A2: it does",
        async () => {
          const from = tracker.lines.length;
          await focusOn(scenario, a1);
          const first = await line(tracker, "focus_gained", a1, from);
          assert.equal(first.status, "ambiguous", JSON.stringify(first));
          assert.equal(first.os_window_id, null);
          await line(tracker, "focus_lost", b, from, "success");
          await assertOnlyEnlarged(scenario, all, base, null, "first focus on A1");
          // A's report moves from A1 to A2 with the compositor's focus: A follows focus.
          const next = tracker.lines.length;
          await focusOn(scenario, a2);
          await line(tracker, "focus_gained", a2, next, "success");
          await assertOnlyEnlarged(scenario, all, base, a2, "A1 -> A2");
          enlarged = a2;
        },
      );
    }
    const moves = wayland ? [a1, b, a2, a1] : [a2, b, a1];
    await t.step(
      `${
        [enlarged, ...moves].map((w) => w.name).join(" -> ")
      }: exactly the focused OS window each time`,
      async () => {
        for (const next of moves) await moveTo(next);
      },
    );
    await t.step("focus status --json lists the OS windows", async () => {
      const status = await runAsUser(
        TEST_USER,
        [...tetherBinary(), "--json", "focus", "status"],
        scenario.session.trackerEnv,
      );
      assert.equal(status.code, 0, status.stderr);
      const data = JSON.parse(status.stdout);
      const rows = data.os_windows as Record<string, unknown>[];
      const row = rows.find((r) => r.pid === a1.pid && r.os_window_id === a1.osWindowId);
      assert.deepEqual({ ...row }, {
        pid: a1.pid,
        os_window_id: a1.osWindowId,
        window_id: a1.conId,
        enlarged_pt: 3,
        focused: true,
        pinned: false,
      });
    });
    await t.step("SIGTERM: the enlarged OS window shrinks back", async () => {
      tracker.signal("SIGTERM");
      assert.equal(await tracker.exited(), 0);
      await assertOnlyEnlarged(scenario, all, base, null, "after SIGTERM");
    });
  } finally {
    await tracker.kill();
    const { stdout, stderr } = tracker.output();
    assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD));
  }
}

/**
 * Without a keyboard: whether kitty learns which OS window is focused depends on the versions
 * (some kitty/sway pairs report it from the toplevel's activated state); tether must never
 * resize a wrong window: at each step either exactly the focused OS window is enlarged (tether
 * knew it) or none is (`ambiguous`).
 */
async function noKeyboardScenario(scenario: Scenario, t: Deno.TestContext) {
  const { a1, a2, b } = await openWindows(scenario);
  const all = [a1, a2, b];
  await focusOn(scenario, a1);
  const base = (await sizes(scenario, [b.pid])).get(`${b.pid}/${b.osWindowId}`)!;
  const tracker = await startTracker(
    ["--compositor", "sway", "--password-file", scenario.passwordFile],
    scenario.session.trackerEnv,
    { user: TEST_USER },
  );
  const outcomes: string[] = [];
  /** Waits for the gained line of `window` and checks the sizes against what it says. */
  const expectRightOrNothing = async (window: OsWindow, from: number) => {
    const gained = await tracker.waitForLine(
      (l) => l.event === "focus_gained" && l.window_id === window.conId,
      { from, what: `${window.name}'s line`, timeoutMs: 45_000 },
    );
    outcomes.push(`${window.name}: ${gained.status}`);
    if (gained.status === "success") {
      assert.equal(gained.os_window_id, window.osWindowId, "the right OS window");
      await assertOnlyEnlarged(scenario, all, base, window, `focus on ${window.name}`);
    } else {
      assert.equal(gained.status, "ambiguous", JSON.stringify(gained));
      assert.equal(gained.os_window_id, null);
      await assertOnlyEnlarged(scenario, all, base, null, `focus on ${window.name}`);
    }
  };
  try {
    await t.step(
      "A1 -> A2 -> B -> A1: the focused OS window or nothing, never another",
      async () => {
        await expectRightOrNothing(a1, 0);
        for (const next of [a2, b, a1]) {
          const from = tracker.lines.length;
          await focusOn(scenario, next);
          await expectRightOrNothing(next, from);
        }
        // B is kitty's only OS window: always known.
        assert.ok(outcomes.includes("B: success"), outcomes.join(", "));
        console.log(`without a keyboard: ${outcomes.join(", ")}`);
      },
    );
    await t.step("SIGTERM: nothing left enlarged", async () => {
      tracker.signal("SIGTERM");
      assert.equal(await tracker.exited(), 0);
      await assertOnlyEnlarged(scenario, all, base, null, "after SIGTERM");
    });
  } finally {
    await tracker.kill();
  }
}

function swaySession(set: PeerSet, keyboard: boolean) {
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

function i3Session(set: PeerSet) {
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

forEachPeerSet((set) => {
  Deno.test({
    name: `tether focus per OS window on real sway with a keyboard ${set.label("kitty", "sway")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => withScenario(set, swaySession(set, true), (s) => exactScenario(s, t)),
  });
  Deno.test({
    name: `tether focus per OS window on real sway without a keyboard ${
      set.label("kitty", "sway")
    }`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => withScenario(set, swaySession(set, false), (s) => noKeyboardScenario(s, t)),
  });
  Deno.test({
    name: `tether focus per OS window on real i3 ${set.label("kitty", "i3")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => withScenario(set, i3Session(set), (s) => exactScenario(s, t)),
  });
});
