/**
 * `tether focus` as a separate process (the compiled binary when built) stopped by SIGINT and
 * SIGTERM: the enlarged kitty is shrunk back and the process exits 0 within the 2 s promise,
 * also when that kitty hangs. Fake niri and fake kitty sockets only (no real peer); the kitty
 * PIDs are `sleep` processes.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeNiri } from "../fakes/niri_server.ts";
import { type FakeKittyServer, openModeKitty, startFakeKitty } from "../fakes/kitty_server.ts";
import { startTracker, type TrackerProcess } from "./focus_support.ts";

/**
 * Generous bound on signal -> exit, in ms: the promise is 2 s (a 1.5 s shutdown budget), the
 * rest is slack for a loaded CI machine.
 */
const EXIT_BOUND_MS = 4000;

interface Stopped {
  code: number;
  elapsedMs: number;
  kitty: FakeKittyServer;
  runtimeDir: string;
}

/** Starts a tracker, lets it grow the kitty, signals it, and hands the outcome to `inspect`. */
async function stopWithSignal(
  signal: NodeJS.Signals,
  options: { kittyHangs: boolean },
  inspect: (stopped: Stopped) => void,
): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "tether-focus-signal-"));
  const runtimeDir = join(root, "run");
  mkdirSync(join(runtimeDir, "kitty"), { recursive: true, mode: 0o700 });
  const sleeper: ChildProcess = spawn("sleep", ["600"], { stdio: "ignore" });
  const pid = sleeper.pid!;
  let hung = false;
  const kitty026 = openModeKitty(26); // not pooled
  const kitty = await startFakeKitty((request) => hung ? null : kitty026(request), {
    socketPath: join(runtimeDir, "kitty", `kitty-${pid}.sock`),
  });
  const env = {
    PATH: "/usr/bin:/bin",
    HOME: root,
    XDG_RUNTIME_DIR: runtimeDir,
    NIRI_SOCKET: join(runtimeDir, "niri.wayland-1.4242.sock"),
    NO_COLOR: "1",
  };
  const niri = await startFakeNiri({
    path: env.NIRI_SOCKET,
    windows: [{ id: 1, app_id: "kitty", pid }],
    focusedId: 1,
  });
  let tracker: TrackerProcess | null = null;
  try {
    tracker = await startTracker(["--compositor", "niri"], env);
    const grown = await tracker.waitForLine((line) =>
      line.event === "focus_gained" && line.pid === pid
    );
    assert.equal(grown.status, "success");
    hung = options.kittyHangs;
    const signalledAt = Date.now();
    tracker.signal(signal);
    const code = await tracker.exited();
    inspect({ code, elapsedMs: Date.now() - signalledAt, kitty, runtimeDir });
  } finally {
    await tracker?.kill();
    await niri.close();
    await kitty.close();
    sleeper.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
}

const fontChanges = (kitty: FakeKittyServer) =>
  kitty.requests.filter((request) => request.cmd === "set-font-size").map((request) =>
    (request.payload as { increment_op: string; size: number }).increment_op +
    (request.payload as { size: number }).size
  );

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test({
    name: `tether focus: ${signal} shrinks the enlarged kitty back and exits 0 within 2 s`,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await stopWithSignal(signal, { kittyHangs: false }, (stopped) => {
        assert.equal(stopped.code, 0);
        assert.ok(
          stopped.elapsedMs < EXIT_BOUND_MS,
          `exited ${stopped.elapsedMs} ms after ${signal}`,
        );
        assert.deepEqual(fontChanges(stopped.kitty), ["+3", "-3"]);
        assert.ok(!existsSync(join(stopped.runtimeDir, "tether", "focus.sock")));
        assert.ok(!existsSync(join(stopped.runtimeDir, "tether", "focus-enlarged.json")));
      });
    },
  });
}

Deno.test({
  name: "tether focus: SIGINT while the enlarged kitty hangs still exits 0 within the budget",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await stopWithSignal("SIGINT", { kittyHangs: true }, (stopped) => {
      assert.equal(stopped.code, 0);
      assert.ok(stopped.elapsedMs < EXIT_BOUND_MS, `exited ${stopped.elapsedMs} ms after SIGINT`);
      // The shrink started (its `ls`, which finds the OS window, went out) but was never
      // acknowledged: the OS window stays in the crash record, so the next start repairs it.
      assert.deepEqual(fontChanges(stopped.kitty), ["+3"]);
      assert.equal(stopped.kitty.requests.at(-1)!.cmd, "ls");
      assert.ok(existsSync(join(stopped.runtimeDir, "tether", "focus-enlarged.json")));
      assert.ok(!existsSync(join(stopped.runtimeDir, "tether", "focus.sock")));
    });
  },
});
