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
      // Several polls (1 s apart) pass without another line.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      assert.equal(stderr.trim().split("\n").length, 1, stderr);
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

Deno.test("focus --wait stopped before any compositor appears exits 0", async () => {
  await using rootDir = await tempDir("tether-focus-wait-");
  const root = rootDir.path;
  const stop = new AbortController();
  setTimeout(() => stop.abort("SIGTERM"), 1500);
  const result = await runInProcess(["focus", "--wait"], {
    env: sandboxEnv(root),
    signal: stop.signal,
  });
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
