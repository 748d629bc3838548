import assert from "node:assert/strict";
import { join } from "node:path";
import { healthWaybarLine, waybarChangeKey } from "../../src/cli/socket_health_waybar.ts";
import { waybarJson } from "../../src/cli/waybar.ts";
import type { DebouncedSocket } from "../../src/sockets/health_debounce.ts";
import { startFakeSway } from "../fakes/sway_peer.ts";
import { runInProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";
import { sleep } from "../support/wait.ts";

const UID = process.getuid!();

const socket = (overrides: Partial<DebouncedSocket> = {}): DebouncedSocket => ({
  kind: "sway",
  socket_path: "/run/user/1000/sway-ipc.1000.812.sock",
  status: "healthy",
  failures: 0,
  latency_ms: 0.42,
  last_good_at: "2026-01-01T00:00:00.000+00:00",
  last_error: null,
  ...overrides,
});

Deno.test("the Waybar line: text up/all, class, percentage, one tooltip line per socket", () => {
  const healthy = healthWaybarLine([socket(), socket({ socket_path: "/r/kitty/kitty-5.sock" })]);
  assert.deepEqual(Object.keys(healthy).sort(), ["class", "percentage", "text", "tooltip"]);
  assert.equal(healthy.text, "2/2");
  assert.equal(healthy.class, "healthy");
  assert.equal(healthy.percentage, 100);
  assert.equal(healthy.tooltip.split("\n").length, 2);
  const down = healthWaybarLine([
    socket(),
    socket({
      socket_path: "/r/kitty/kitty-5.sock",
      status: "stale",
      failures: 3,
      last_error: { category: "refused", message: "connection refused" },
    }),
  ]);
  assert.deepEqual([down.text, down.class, down.percentage], ["1/2", "down", 50]);
  assert.match(
    down.tooltip,
    /kitty-5\.sock: stale \(last good 0\.42 ms at \d\d:\d\d:\d\d\): connection refused/,
  );
  const degraded = healthWaybarLine([socket({ status: "degraded" })]);
  assert.equal(degraded.class, "degraded");
  assert.deepEqual(healthWaybarLine([]), {
    text: "0/0",
    tooltip: "no IPC sockets found",
    class: "none",
    percentage: 0,
  });
});

Deno.test("Pango markup in paths and messages is escaped", () => {
  const line = JSON.parse(waybarJson({ text: "a<b>&c", tooltip: "<i>", class: "x" }));
  assert.equal(line.text, "a&lt;b&gt;&amp;c");
  assert.equal(line.tooltip, "&lt;i&gt;");
});

Deno.test("latency jitter is no change; a status or its problem is", () => {
  assert.equal(waybarChangeKey([socket()]), waybarChangeKey([socket({ latency_ms: 0.39 })]));
  assert.notEqual(waybarChangeKey([socket()]), waybarChangeKey([socket({ status: "stale" })]));
});

/** A healthy sway for ~4 rounds, then gone for ~7 rounds; the Waybar lines printed. */
async function barLines(
  failAfter: number,
): Promise<{ lines: Record<string, unknown>[]; code: number }> {
  await using rtDir = await tempDir("tether-waybar-");
  const rt = rtDir.path;
  const path = join(rt, `sway-ipc.${UID}.9001.sock`);
  const sway = await startFakeSway(path);
  const controller = new AbortController();
  try {
    const running = runInProcess(
      [
        "socket-health",
        "--watch",
        "--format",
        "waybar",
        "--interval",
        "0.1",
        "--fail-after",
        String(failAfter),
      ],
      // $SWAYSOCK names it, so once the file is gone it is `missing` rather than undiscovered.
      { env: { XDG_RUNTIME_DIR: rt, SWAYSOCK: path }, signal: controller.signal, tty: true },
    );
    await sleep(450); // ~4 healthy rounds
    await sway.close();
    await sleep(800); // ~7 failed rounds
    controller.abort();
    const result = await running;
    const lines = result.stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    return { lines, code: result.code };
  } finally {
    controller.abort();
  }
}

Deno.test("--watch --format waybar: one line per change, down only after --fail-after failed probes", async () => {
  const { lines, code } = await barLines(3);
  assert.equal(lines.length, 2, `a line per change, not per round: ${JSON.stringify(lines)}`);
  assert.deepEqual([lines[0]!.text, lines[0]!.class, lines[0]!.percentage], [
    "1/1",
    "healthy",
    100,
  ]);
  assert.deepEqual([lines[1]!.text, lines[1]!.class, lines[1]!.percentage], ["0/1", "down", 0]);
  assert.match(
    String(lines[1]!.tooltip),
    /missing \(last good [\d.]+ ms at \d\d:\d\d:\d\d\): socket file does not exist/,
  );
  assert.equal(code, 1, "the last round was not healthy");
  // Seven failed probes are not 100: the bar never shows it down.
  const patient = await barLines(100);
  assert.deepEqual(patient.lines.map((line) => line.class), ["healthy"]);
});

Deno.test("socket-health --format waybar (one-shot) prints one line and exits 0; bad --fail-after is a usage error", async () => {
  await using rtDir = await tempDir("tether-waybar-");
  const rt = rtDir.path;
  const once = await runInProcess(["socket-health", "--format", "waybar"], {
    env: { XDG_RUNTIME_DIR: rt, SWAYSOCK: join(rt, `sway-ipc.${UID}.1.sock`) },
  });
  assert.equal(once.code, 0, "Waybar hides a module whose command fails");
  const line = JSON.parse(once.stdout);
  assert.deepEqual([line.text, line.class], ["0/1", "down"]);
  for (const bad of ["0", "x", "1.5"]) {
    const usage = await runInProcess(["socket-health", "--fail-after", bad], {
      env: { XDG_RUNTIME_DIR: rt },
    });
    assert.equal(usage.code, 2, bad);
    assert.match(usage.stderr, /--fail-after must be a whole number from 1 to 100/);
  }
});
