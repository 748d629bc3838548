/**
 * `socket-health --watch` as a real process (TETHER_BIN, else `deno run main.ts`): SIGINT and
 * SIGTERM end it cleanly — exit 0 with every socket healthy, stdout whole JSON lines only.
 */
import assert from "node:assert/strict";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { tetherCommand } from "../support/cli.ts";
import { startFakeSway } from "../fakes/sway_peer.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`socket-health --watch ends on ${signal}: exit 0, whole JSON lines`, async () => {
    await using rtDir = await tempDir("tether-watch-signal-");
    const rt = rtDir.path;
    chmodSync(rt, 0o700);
    const socketPath = join(rt, `sway-ipc.${UID}.101.sock`);
    const sway = await startFakeSway(socketPath);
    const [command, ...prefix] = tetherCommand();
    // Deno.Command, not node:child_process: Deno's child_process reports any child it sent
    // a signal to as killed by that signal (code null), even when the child exited 0.
    const child = new Deno.Command(command!, {
      args: [...prefix, "socket-health", "--watch", "--interval", "0.2"],
      env: { ...process.env, XDG_RUNTIME_DIR: rt, NO_COLOR: "1" } as Record<string, string>,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const stderrText = new Response(child.stderr).text();
    try {
      let stdout = "";
      const decoder = new TextDecoder();
      const reader = child.stdout.getReader();
      // Wait for at least two rounds, so the signal lands in --watch's wait between rounds.
      while (stdout.split('"health_update"').length <= 2) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += decoder.decode(value, { stream: true });
      }
      const signalledAt = performance.now();
      child.kill(signal);
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        stdout += decoder.decode(value, { stream: true });
      }
      const status = await child.status;
      const stopMs = performance.now() - signalledAt;
      const stderr = await stderrText;
      assert.deepEqual([status.code, status.signal], [0, null], stderr);
      assert.equal(stderr, "");
      assert.ok(stopMs < 2000, `took ${stopMs} ms to stop`);
      assert.ok(stdout.endsWith("\n"), "the last line is whole");
      const events = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
      assert.deepEqual(events.slice(0, 2).map((event) => event.event), [
        "status_changed",
        "health_update",
      ]);
      assert.ok(events.length >= 3);
      for (const event of events.slice(1)) {
        assert.deepEqual([event.event, event.socket_path, event.status], [
          "health_update",
          socketPath,
          "healthy",
        ]);
      }
    } finally {
      clearTimeout(killer);
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await child.status;
      await sway.close();
    }
  });
}
