/**
 * `tether focus` with no compositor yet: under systemd (`INVOCATION_ID`) or with `--wait` it
 * logs one line and waits until a compositor socket appears (then follows it); otherwise it is
 * the usage error it always was. In-process, against the fake niri.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../../src/cli/run.ts";
import { type FakeNiriServer, startFakeNiri } from "../fakes/niri_server.ts";
import { runInProcess } from "../support/cli.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";
import { COMPOSITOR_POLL_MS, runFocusDaemon } from "../../src/focus/daemon.ts";
import { createLogger } from "../../src/platform/logger.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

function sandboxEnv(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: root, XDG_RUNTIME_DIR: root, ...extra };
}

for (
  const [label, args, extra] of [
    ["under systemd (INVOCATION_ID)", [], { INVOCATION_ID: "0123456789abcdef" }],
    ["with --wait", ["--wait"], {}],
  ] as const
) {
  Deno.test(`focus ${label} waits for a compositor with one log line, then follows it`, async () => {
    await using rootDir = await tempDir("tether-focus-wait-");
    const root = rootDir.path;
    const stop = new AbortController();
    let niri: FakeNiriServer | null = null;
    let stdout = "";
    let stderr = "";
    try {
      const running = runCli(["focus", ...args], {
        env: sandboxEnv(root, extra),
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        stdoutIsTty: false,
        shutdownSignal: stop.signal,
      });
      await waitFor(
        "the waiting line",
        () => (stderr.includes("waiting for niri, sway or i3") ? true : undefined),
        10_000,
      );
      // That later polls stay silent is checked on virtual time below.
      assert.equal(stdout, "");
      niri = await startFakeNiri({ path: join(root, "niri.wayland-1.4242.sock"), windows: [] });
      await waitFor(
        "the connection",
        () => (/"to":"connected"/.test(stdout) ? true : undefined),
        10_000,
      );
      stop.abort("SIGTERM");
      assert.equal(await running, 0, stderr);
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
    } finally {
      stop.abort("SIGTERM");
      await niri?.close();
    }
  });
}

Deno.test("focus --wait polls every COMPOSITOR_POLL_MS without another log line (virtual time)", async () => {
  await using rootDir = await tempDir("tether-focus-wait-");
  const clock = new VirtualClock();
  const stop = new AbortController();
  const logged: string[] = [];
  const running = runFocusDaemon({
    compositor: "auto",
    waitForCompositor: true,
    appIds: ["kitty"],
    deltaPt: 2,
    socketTimeoutMs: 1000,
    maxAttempts: 3,
    maxConnections: 8,
    idleTimeoutMs: 60_000,
    reapIntervalMs: 10_000,
    env: sandboxEnv(rootDir.path),
    emit: () => assert.fail("nothing to emit without a compositor"),
    logger: createLogger({ level: "debug", journal: false, write: (line) => logged.push(line) }),
    signal: stop.signal,
    clock,
  });
  await waitFor("the waiting line", () => logged.some((line) => line.includes("waiting for niri")));
  for (let poll = 1; poll <= 5; poll++) {
    assert.equal(clock.pending().length, 1, `poll ${poll}: one timer, the next poll`);
    assert.equal(clock.pending()[0]!.at - clock.now(), COMPOSITOR_POLL_MS);
    await clock.advance(COMPOSITOR_POLL_MS);
    // The poll's socket search is real I/O: wait until it has armed the next poll.
    await waitFor(`poll ${poll} done`, () => clock.pending().length === 1);
  }
  assert.deepEqual(
    logged.filter((line) => !line.includes(": debug: ")).length,
    1,
    logged.join("\n"),
  );
  stop.abort("SIGTERM");
  await clock.advance(0);
  await running;
});

Deno.test("focus --wait stopped before any compositor appears exits 0", async () => {
  await using rootDir = await tempDir("tether-focus-wait-");
  const root = rootDir.path;
  const stop = new AbortController();
  let stderr = "";
  const running = runInProcess(["focus", "--wait"], {
    env: sandboxEnv(root),
    signal: stop.signal,
    onStderr: (text) => void (stderr += text),
  });
  await waitFor("the waiting line", () => stderr.includes("no compositor yet"));
  stop.abort("SIGTERM");
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /no compositor yet/);
});

Deno.test("focus without --wait and outside systemd still exits 2 when no compositor is found", async () => {
  await using rootDir = await tempDir("tether-focus-wait-");
  const root = rootDir.path;
  const result = await runInProcess(["focus"], { env: sandboxEnv(root) });
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split("\n").length, 1, result.stderr);
});
