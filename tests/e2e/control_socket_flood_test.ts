/**
 * `tether focus` as a separate process (the compiled binary when built) while another process
 * connects to its control socket and closes at once, as fast as it can: a well-behaved
 * `status` is still answered. Before the listener yielded its accept loop, Bun accepted flood
 * connections for seconds without returning to the event loop, and 0 of 30 such requests
 * were answered (README "Reliability").
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requestControl } from "../../src/resilience/control_socket.ts";
import { REPO_ROOT } from "../support/cli.ts";
import { sleep, waitFor } from "../support/wait.ts";
import { startFakeNiri } from "../fakes/niri_server.ts";
import { startTracker, type TrackerProcess } from "./focus_support.ts";

/** Requests sent during the flood, one after another. */
const REQUESTS = 12;
/** Share of them that must be answered within their 1 s timeout (about 0.9–1 measured). */
const MIN_ANSWERED_SHARE = 0.6;

Deno.test({
  name: "tether focus: status is answered during a connect/close flood on its control socket",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const root = mkdtempSync(join(tmpdir(), "tether-control-flood-"));
    const runtimeDir = join(root, "run");
    mkdirSync(runtimeDir, { mode: 0o700 });
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: root,
      XDG_RUNTIME_DIR: runtimeDir,
      NIRI_SOCKET: join(runtimeDir, "niri.wayland-1.4243.sock"),
      NO_COLOR: "1",
    };
    const niri = await startFakeNiri({
      path: env.NIRI_SOCKET,
      windows: [{ id: 1, app_id: "foot", title: "shell", pid: null, workspace_id: 1 }],
      focusedId: 1,
    });
    const socketPath = join(runtimeDir, "tether", "focus.sock");
    let tracker: TrackerProcess | null = null;
    let flooder: ChildProcess | null = null;
    try {
      tracker = await startTracker(["--compositor", "niri"], env);
      await waitFor(
        "the control socket",
        async () => {
          try {
            await requestControl(socketPath, "status", { timeoutMs: 500 });
            return true;
          } catch {
            return false;
          }
        },
        10_000,
        50,
      );
      flooder = spawn(
        process.execPath,
        ["run", "--allow-all", "--no-check", join(REPO_ROOT, "scripts/bench/churn.ts"), socketPath],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let cycles = "";
      flooder.stdout!.on("data", (chunk) => (cycles += chunk));
      await sleep(1000); // the flood is under way
      const failures: string[] = [];
      for (let request = 0; request < REQUESTS; request++) {
        await requestControl(socketPath, "status", { timeoutMs: 1000 }).catch((error) =>
          failures.push(String(error))
        );
        await sleep(100);
      }
      const flooderExited = new Promise((resolve) => flooder!.once("exit", resolve));
      flooder.kill("SIGTERM");
      await flooderExited;
      const answered = REQUESTS - failures.length;
      assert.ok(Number(cycles) > 1000, `the flood ran (${cycles.trim()} connect/close cycles)`);
      assert.ok(
        answered >= REQUESTS * MIN_ANSWERED_SHARE,
        `${answered} of ${REQUESTS} answered during ${cycles.trim()} cycles; ${
          failures.join("; ")
        }`,
      );
      // Once the flood ends, the daemon is at its socket path and answers at once.
      await requestControl(socketPath, "status", { timeoutMs: 1000 });
    } finally {
      flooder?.kill("SIGKILL");
      await tracker?.kill();
      await niri.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
});
