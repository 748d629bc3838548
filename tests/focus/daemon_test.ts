/**
 * `tether focus` wired end to end in-process: the real CLI (flags), daemon, tracker, kitty
 * registry and niri source, against the fake niri (tests/fakes/niri_server.ts) and fake kitty
 * sockets at `$XDG_RUNTIME_DIR/kitty/kitty-<pid>.sock`. The kitty PIDs are `sleep` processes
 * (alive, with a start time, mapping no kitty core: the registry falls back to kitty's reply to
 * decide pooling). Real kitty and real sway are in tests/e2e.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/run.ts";
import { type FakeNiriServer, type FakeNiriWindow, startFakeNiri } from "../fakes/niri_server.ts";
import {
  type FakeKittyHandler,
  type FakeKittyServer,
  openModeKitty,
  startFakeKitty,
} from "../fakes/kitty_server.ts";
import { waitFor } from "../support/wait.ts";

type Line = Record<string, unknown>;

/** kitty >= 0.43 in open mode: runs the 0.43 ls, so the registry pools it. */
const newKitty = openModeKitty(48);

const PASSWORD = `daemon-test-${crypto.randomUUID()}`;

/** A sandbox: runtime dir, password file, fake niri, kitty stand-ins; all removed by close(). */
class Sandbox {
  readonly root = mkdtempSync(join(tmpdir(), "tether-focus-daemon-"));
  readonly runtimeDir = join(this.root, "run");
  readonly passwordFile = join(this.root, "rc.password");
  readonly env: Record<string, string>;
  niri: FakeNiriServer | null = null;
  readonly #sleepers: ChildProcess[] = [];
  readonly #kitties: FakeKittyServer[] = [];
  readonly #trackers: InProcessTracker[] = [];

  constructor() {
    mkdirSync(join(this.runtimeDir, "kitty"), { recursive: true, mode: 0o700 });
    writeFileSync(this.passwordFile, PASSWORD + "\n", { mode: 0o600 });
    this.env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: this.root,
      XDG_RUNTIME_DIR: this.runtimeDir,
      NIRI_SOCKET: join(this.runtimeDir, "niri.wayland-1.4242.sock"),
    };
  }

  /** A live process standing in for a kitty (its PID names the socket). */
  kittyPid(): number {
    const sleeper = spawn("sleep", ["600"], { stdio: "ignore" });
    this.#sleepers.push(sleeper);
    return sleeper.pid!;
  }

  /** A fake kitty socket for `pid`. */
  async kitty(pid: number, handler: FakeKittyHandler = newKitty): Promise<FakeKittyServer> {
    const server = await startFakeKitty(handler, {
      socketPath: join(this.runtimeDir, "kitty", `kitty-${pid}.sock`),
    });
    this.#kitties.push(server);
    return server;
  }

  async startNiri(windows: FakeNiriWindow[], focusedId: number): Promise<FakeNiriServer> {
    this.niri = await startFakeNiri({ path: this.env.NIRI_SOCKET!, windows, focusedId });
    return this.niri;
  }

  /** `tether focus --compositor niri --password-file <file> ...args`, in-process. */
  track(args: string[] = []): InProcessTracker {
    const tracker = startInProcess(
      ["focus", "--compositor", "niri", "--password-file", this.passwordFile, ...args],
      this.env,
    );
    this.#trackers.push(tracker);
    return tracker;
  }

  /** Runs a one-shot CLI command (`focus status`, `focus reconnect`) to completion. */
  async run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await runCli(args, {
      env: this.env,
      stdout: (text) => (stdout += text),
      stderr: (text) => (stderr += text),
      stdoutIsTty: false,
      shutdownSignal: new AbortController().signal,
    });
    return { code, stdout, stderr };
  }

  async close(): Promise<void> {
    for (const tracker of this.#trackers) await tracker.stop();
    await this.niri?.close();
    for (const kitty of this.#kitties) await kitty.close();
    for (const sleeper of this.#sleepers) sleeper.kill("SIGKILL");
    rmSync(this.root, { recursive: true, force: true });
  }
}

interface InProcessTracker {
  lines: Line[];
  output(): { stdout: string; stderr: string };
  waitForLine(what: string, match: (line: Line) => boolean, from?: number): Promise<Line>;
  /** Aborts like SIGINT/SIGTERM and resolves with the exit code. */
  stop(): Promise<number>;
}

function startInProcess(args: string[], env: Record<string, string>): InProcessTracker {
  const shutdown = new AbortController();
  const lines: Line[] = [];
  let stdout = "";
  let stderr = "";
  let partial = "";
  let exited = false;
  const done = runCli(args, {
    env,
    stdout: (text) => {
      stdout += text;
      partial += text;
      let newline: number;
      while ((newline = partial.indexOf("\n")) >= 0) {
        lines.push(JSON.parse(partial.slice(0, newline)));
        partial = partial.slice(newline + 1);
      }
    },
    stderr: (text) => (stderr += text),
    stdoutIsTty: false,
    shutdownSignal: shutdown.signal,
  }).finally(() => (exited = true));
  return {
    lines,
    output: () => ({ stdout, stderr }),
    waitForLine(what, match, from = 0) {
      return waitFor(
        () => `${what}; stdout:\n${stdout}\nstderr:\n${stderr}`,
        () => {
          const found = lines.slice(from).find(match);
          if (found === undefined && exited) {
            throw new Error(`tether focus ended while waiting for ${what}: ${stderr}`);
          }
          return found;
        },
        15_000,
        10,
      );
    },
    stop() {
      shutdown.abort();
      return done;
    },
  };
}

/**
 * The font changes a kitty received, as `+2` / `-2` (`all` appended for every OS window):
 * `set-font-size` for kitty < 0.35, `action change_font_size` naming the OS window's window for
 * newer kitty (the fakes here answer as 0.48).
 */
const fontChanges = (kitty: FakeKittyServer) =>
  kitty.requests.flatMap((request) => {
    const payload = request.payload as Record<string, unknown>;
    if (request.cmd === "set-font-size") {
      return [`${payload.increment_op ?? "="}${payload.size}${payload.all ? " all" : ""}`];
    }
    if (request.cmd !== "action") return [];
    const match = /^change_font_size current ([-+][\d.]+)$/.exec(String(payload.action));
    return [`${match?.[1] ?? payload.action} ${payload.match}`];
  });

const isAction = (event: string, pid: number) => (line: Line) =>
  line.event === event && line.pid === pid;

/** A test of `tether focus` in a fresh {@link Sandbox}, closed however the test ends. */
function focusTest(name: string, run: (box: Sandbox) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const box = new Sandbox();
      try {
        await run(box);
      } finally {
        await box.close();
      }
    },
  });
}

focusTest(
  "tether focus: kitty status changes are JSON lines; --app-id and --font-delta reach the tracker",
  async (box) => {
    const a = box.kittyPid();
    const b = box.kittyPid();
    const c = box.kittyPid(); // no socket: not configured
    const kittyA = await box.kitty(a);
    const kittyB = await box.kitty(b);
    const niri = await box.startNiri([
      { id: 1, app_id: "term", pid: a },
      { id: 2, app_id: "kitty", pid: b },
      { id: 3, app_id: "term", pid: c },
    ], 1);
    const tracker = box.track(["--app-id", "term", "--font-delta", "2"]);

    const gained = await tracker.waitForLine("A grown", isAction("focus_gained", a));
    assert.equal(gained.status, "success");
    assert.deepEqual(fontChanges(kittyA), ["+2 id:1"]);
    const ready = await tracker.waitForLine(
      "A's status line",
      (line) => line.event === "status_changed" && line.kitty_pid === a,
    );
    assert.deepEqual({ ...ready, ts: undefined }, {
      ts: undefined,
      event: "status_changed",
      kitty_pid: a,
      from: "unknown",
      to: "ready",
      error: null,
    });
    assert.match(String(ready.ts), /^\d{4}-\d\d-\d\dT/);

    // Window 2 says "kitty", which is not --app-id: A shrinks by 2, B is never contacted.
    let from = tracker.lines.length;
    niri.focus(2);
    const lost = await tracker.waitForLine("A shrunk", isAction("focus_lost", a), from);
    assert.equal(lost.status, "success");
    assert.deepEqual(fontChanges(kittyA)[1], "-2 id:1");

    from = tracker.lines.length;
    niri.focus(3);
    const unconfigured = await tracker.waitForLine(
      "C's status line",
      (line) => line.event === "status_changed" && line.kitty_pid === c,
      from,
    );
    assert.equal(unconfigured.to, "not_configured");
    const problem = unconfigured.error as { category: string; message: string };
    assert.equal(problem.category, "not_configured");
    assert.match(problem.message, /no remote-control socket .*tether kitty setup/);
    const line = await tracker.waitForLine("C's grow", isAction("focus_gained", c), from);
    assert.equal(line.status, "not_configured");

    assert.equal(await tracker.stop(), 0);
    assert.equal(kittyB.connections, 0);
    assert.equal(
      tracker.lines.filter((l) => l.event === "focus_gained" || l.event === "focus_lost")
        .filter((l) => l.pid === b).length,
      0,
    );
    const { stdout, stderr } = tracker.output();
    assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD));
  },
);

focusTest(
  "tether focus reconnect: the running tracker reconnects to niri now, counts it, prints it",
  async (box) => {
    const a = box.kittyPid();
    const kittyA = await box.kitty(a);
    const niri = await box.startNiri([{ id: 1, app_id: "kitty", pid: a }], 1);
    const tracker = box.track();
    await tracker.waitForLine("A grown", isAction("focus_gained", a));
    const from = tracker.lines.length;

    const reconnect = await box.run(["focus", "reconnect"]);
    assert.equal(reconnect.code, 0, reconnect.stderr);
    assert.equal(reconnect.stdout, "tether focus: reconnecting to the compositor\n");

    const connected = (line: Line) =>
      line.event === "status_changed" && line.compositor === "niri" && line.to === "connected";
    await tracker.waitForLine("connected again", connected, from);
    const events = tracker.lines.slice(from).map((line) =>
      line.event === "reconnect_attempt"
        ? `reconnect_attempt ${line.attempt} in ${line.next_retry_ms} ms`
        : `${line.event} ${line.from}->${line.to}`
    );
    assert.deepEqual(events, [
      "status_changed connected->reconnecting",
      "reconnect_attempt 1 in 0 ms",
      "status_changed reconnecting->connected",
    ]);
    assert.equal(niri.requests.filter((request) => request === "EventStream").length, 2);
    await waitFor("one stream left", () => niri.streamCount() === 1);

    const status = await box.run(["--json", "focus", "status"]);
    assert.equal(status.code, 0, status.stderr);
    const data = JSON.parse(status.stdout);
    assert.equal(data.reconnection_count, 1);
    assert.equal(data.connection.status, "connected");
    // The same focus after the reconnect: no transition, the kitty is not touched again.
    assert.equal(fontChanges(kittyA).length, 1);
    assert.equal(await tracker.stop(), 0);
  },
);

focusTest(
  "tether focus --idle-timeout/--reap-interval: an idle pooled kitty connection is reaped",
  async (box) => {
    const a = box.kittyPid();
    const kittyA = await box.kitty(a);
    await box.startNiri([{ id: 1, app_id: "kitty", pid: a }], 1);
    const tracker = box.track(["--idle-timeout", "1", "--reap-interval", "1"]);
    await tracker.waitForLine("A grown", isAction("focus_gained", a));
    const status = JSON.parse((await box.run(["--json", "focus", "status"])).stdout);
    assert.equal(status.kitties[0].pooled, true);
    // The probe's and the first contact's connections are closed; the pooled one stays open.
    await waitFor("probe connections closed", () => kittyA.closedConnections === 2);
    assert.equal(kittyA.connections, 3);
    const grownAt = Date.now();
    await waitFor("the pooled connection reaped", () => kittyA.closedConnections === 3);
    // Idle >= 1 s, found by a reaper pass every 1 s (the defaults would keep it 30 min).
    const idleMs = Date.now() - grownAt;
    assert.ok(idleMs < 10_000, `reaped after ${idleMs} ms`);
    assert.equal(await tracker.stop(), 0);
  },
);

focusTest(
  "tether focus --max-connections 1: a second pooled kitty evicts the first's idle connection",
  async (box) => {
    const a = box.kittyPid();
    const b = box.kittyPid();
    const kittyA = await box.kitty(a);
    const kittyB = await box.kitty(b);
    const niri = await box.startNiri([
      { id: 1, app_id: "kitty", pid: a },
      { id: 2, app_id: "kitty", pid: b },
    ], 1);
    const tracker = box.track(["--max-connections", "1"]);
    await tracker.waitForLine("A grown", isAction("focus_gained", a));
    await waitFor("A's pooled connection idle", () => kittyA.closedConnections === 2);
    assert.equal(kittyA.connections, 3);
    niri.focus(2);
    await tracker.waitForLine("B grown", isAction("focus_gained", b));
    await tracker.waitForLine("A shrunk", isAction("focus_lost", a));
    // Locating B's OS window (its ls) opened B's connection, which evicted A's idle one.
    await waitFor("A's connection evicted", () => kittyA.closedConnections >= 3);
    assert.ok(kittyA.connections - kittyA.closedConnections <= 1);
    await waitFor(
      "one pooled connection in all",
      () =>
        kittyA.connections - kittyA.closedConnections +
            kittyB.connections - kittyB.closedConnections === 1,
    );
    assert.equal(await tracker.stop(), 0);
  },
);

focusTest(
  "tether focus --max-retries 2 --socket-timeout 0.2: a silent kitty is tried exactly twice",
  async (box) => {
    const a = box.kittyPid();
    const kittyA = await box.kitty(a, () => null);
    await box.startNiri([{ id: 1, app_id: "kitty", pid: a }], 1);
    const tracker = box.track(["--max-retries", "2", "--socket-timeout", "0.2"]);
    const line = await tracker.waitForLine("A's grow", isAction("focus_gained", a));
    // Finding A's OS window (its ls) already failed: no font command was sent (attempts 0).
    assert.equal(line.status, "failed");
    assert.equal(line.attempts, 0);
    assert.match((line.error as { message: string }).message, /timeout|no reply/i);
    assert.equal(kittyA.requests.length, 2);
    assert.equal(await tracker.stop(), 0);
  },
);

focusTest(
  "tether focus pin / unpin: the pinned OS window keeps its size until unpinned; status shows it",
  async (box) => {
    const a = box.kittyPid();
    const b = box.kittyPid();
    const kittyA = await box.kitty(a);
    await box.kitty(b);
    const niri = await box.startNiri([
      { id: 1, app_id: "kitty", pid: a },
      { id: 2, app_id: "kitty", pid: b },
    ], 1);
    const tracker = box.track();
    await tracker.waitForLine("A grown", isAction("focus_gained", a));
    const pinned = await box.run(["focus", "pin"]);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(
      pinned.stdout,
      new RegExp(`pinned kitty ${a} OS window 1 .*enlarged \\+3 pt, pinned`),
    );
    let from = tracker.lines.length;
    niri.focus(2);
    await tracker.waitForLine("B grown", isAction("focus_gained", b), from);
    const status = JSON.parse((await box.run(["--json", "focus", "status"])).stdout);
    const rowA = status.os_windows.find((row: { pid: number }) => row.pid === a);
    assert.deepEqual(rowA, {
      pid: a,
      os_window_id: 1,
      window_id: 1,
      enlarged_pt: 3,
      focused: false,
      pinned: true,
    });
    assert.deepEqual(fontChanges(kittyA), ["+3 id:1"], "pinned: not shrunk");
    from = tracker.lines.length;
    const unpinned = await box.run(["--json", "focus", "unpin"]);
    assert.equal(unpinned.code, 0, unpinned.stderr);
    assert.equal(JSON.parse(unpinned.stdout).unpinned.length, 1);
    await tracker.waitForLine("A shrunk", isAction("focus_lost", a), from);
    assert.deepEqual(fontChanges(kittyA), ["+3 id:1", "-3 id:1"]);
    assert.equal(await tracker.stop(), 0);
  },
);

focusTest("tether focus pin with nothing focused exits 1 with one line", async (box) => {
  await box.startNiri([{ id: 1, app_id: "foot", pid: box.kittyPid() }], 1);
  const tracker = box.track();
  await tracker.waitForLine("connected", (line) => line.event === "status_changed");
  const result = await box.run(["focus", "pin"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /nothing to pin/);
  assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  assert.equal(await tracker.stop(), 0);
});
