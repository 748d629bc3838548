/**
 * Every command's JSON against the one vocabulary (README "JSON vocabulary",
 * tests/support/json_vocabulary.ts): socket-health (document, --watch lines), cleanup, focus
 * (its JSON lines, status, reconnect, and status without a tracker), conbus send (replied and
 * failed) and serve's lines, kitty setup, systemd install/uninstall. The sandbox has a running
 * tracker (fake niri, a fake kitty), a conbus serve on a fake bridge, a live fake sway and a
 * stale sway socket, so the documents carry every kind of row, error and time.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli/run.ts";
import { FakeConbusBridge } from "../fakes/conbus_bridge.ts";
import { startFakeNiri } from "../fakes/niri_server.ts";
import { openModeKitty, startFakeKitty } from "../fakes/kitty_server.ts";
import { startFakeSway } from "../fakes/sway_peer.ts";
import { runInProcess } from "../support/cli.ts";
import { vocabularyProblems } from "../support/json_vocabulary.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

/** A command run in the background until `stop()`: its stdout split into JSON lines. */
function background(args: string[], env: Record<string, string>) {
  const shutdown = new AbortController();
  let stdout = "";
  let stderr = "";
  const done = runCli(args, {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stdoutIsTty: false,
    shutdownSignal: shutdown.signal,
  });
  return {
    lines: () => stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line)),
    stderr: () => stderr,
    stop: async () => {
      shutdown.abort();
      return await done;
    },
  };
}

function assertVocabulary(what: string, values: unknown[]): void {
  assert.ok(values.length > 0, `${what}: no JSON to check`);
  const problems = values.flatMap((value, index) => vocabularyProblems(value, `${what}#${index}`));
  assert.deepEqual(problems, [], JSON.stringify(values, null, 1).slice(0, 4000));
}

const documents = (stdout: string) =>
  stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line));

Deno.test("the checker catches what the issue found: time vs ts, path, camelCase, string errors, 0 for unlimited, long floats", () => {
  const problems = vocabularyProblems({
    time: "2026-01-01T00:00:00.000Z",
    last_validated: "2026-01-01T00:00:00.000Z",
    path: "/run/user/1000/sway-ipc.1000.1.sock",
    focused: { windowId: 1, appId: "kitty" },
    error: "refused",
    detail: "x",
    reason: "why",
    max_attempts: 0,
    next_retry_ms: 3801.665283203125,
    uptime_seconds: 3,
    ts: "2026-01-01T00:00:00.000Z",
    reconnection_count: 1.5,
  });
  for (
    const expected of [
      /\$\.time: retired/,
      /\$\.last_validated: a time outside/,
      /\$\.path: a socket path outside socket_path/,
      /\$\.focused\.windowId: not snake_case/,
      /\$\.error: a problem must be \{category, message\}/,
      /\$\.detail: retired/,
      /\$\.max_attempts: unlimited is null/,
      /\$\.next_retry_ms: a duration must be ms rounded to 0\.01/,
      /\$\.uptime_seconds: durations are \*_ms/,
      /\$\.ts: a time must be ISO 8601 with offset/,
      /\$\.reconnection_count: a count must be an integer/,
    ]
  ) {
    assert.ok(problems.some((problem) => expected.test(problem)), `${expected}: ${problems}`);
  }
  assert.deepEqual(
    vocabularyProblems({
      ts: "2026-01-01T01:00:00.000+01:00",
      socket_path: "/run/user/1000/sway-ipc.1000.1.sock",
      error: { category: "refused", message: "connection refused" },
      last_error: null,
      max_attempts: null,
      next_retry_ms: 3801.67,
      reason: "focus moved on",
    }),
    [],
  );
});

Deno.test("every command's JSON follows the vocabulary", async () => {
  await using rootDir = await tempDir("tether-vocabulary-");
  const root = rootDir.path;
  const rt = join(root, "run");
  mkdirSync(join(rt, "kitty"), { recursive: true, mode: 0o700 });
  const passwordFile = join(root, "rc.password");
  writeFileSync(passwordFile, "vocabulary-test-password\n", { mode: 0o600 });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    XDG_CONFIG_HOME: join(root, "config"),
    XDG_RUNTIME_DIR: rt,
    NIRI_SOCKET: join(rt, "niri.wayland-1.4242.sock"),
  };
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  try {
    const sleeper: ChildProcess = spawn("sleep", ["600"], { stdio: "ignore" });
    cleanups.unshift(() => sleeper.kill("SIGKILL"));
    const kittyPid = sleeper.pid!;
    const kitty = await startFakeKitty(openModeKitty(48), {
      socketPath: join(rt, "kitty", `kitty-${kittyPid}.sock`),
    });
    cleanups.unshift(() => kitty.close());
    const niri = await startFakeNiri({
      path: env.NIRI_SOCKET!,
      windows: [{ id: 1, app_id: "kitty", pid: kittyPid }, { id: 2, app_id: "firefox", pid: 1 }],
      focusedId: 1,
    });
    cleanups.unshift(() => niri.close());
    const sway = await startFakeSway(join(rt, `sway-ipc.${UID}.101.sock`));
    cleanups.unshift(() => sway.close());
    await createStaleSockets([join(rt, `sway-ipc.${UID}.102.sock`)]);
    const bridge = await FakeConbusBridge.start({});
    cleanups.unshift(() => bridge.close());
    const bridgeFlags = ["--host", "127.0.0.1", "--port", String(bridge.port)];

    const focus = background(
      ["focus", "--compositor", "niri", "--password-file", passwordFile],
      env,
    );
    cleanups.unshift(() => focus.stop());
    await waitFor("the grow", () => focus.lines().some((line) => line.event === "focus_gained"));
    niri.focus(2); // a shrink
    await waitFor("the shrink", () => focus.lines().some((line) => line.event === "focus_lost"));
    const serve = background(["conbus", "serve", ...bridgeFlags], env);
    cleanups.unshift(() => serve.stop());
    await waitFor("serve's client", () => bridge.hasClient);
    bridge.sendUnsolicited("E14L00I02M");
    await waitFor("an idle telegram line", () => serve.lines().length > 0);

    const doctor = await runInProcess(["--json", "doctor"], { env });
    assertVocabulary("doctor", documents(doctor.stdout));
    const version = await runInProcess(["--version", "--json"], { env });
    assertVocabulary("--version", documents(version.stdout));

    const status = await runInProcess(["--json", "focus", "status"], { env });
    assert.equal(status.code, 0, status.stderr);
    assertVocabulary("focus status", documents(status.stdout));
    const statusDocument = JSON.parse(status.stdout);
    assert.deepEqual(statusDocument.focused, { window_id: 2, pid: 1, app_id: "firefox" });
    assert.equal(statusDocument.connection.max_attempts, null, "the tracker never gives up");

    const health = await runInProcess(["--json", "socket-health"], { env });
    assert.equal(health.code, 1, health.stderr); // the stale sway socket
    assertVocabulary("socket-health", documents(health.stdout));
    const kinds = JSON.parse(health.stdout).sockets.map((row: { kind: string }) => row.kind);
    for (const kind of ["sway", "niri", "kitty", "tether"]) assert.ok(kinds.includes(kind), kind);
    const kittyRow = JSON.parse(health.stdout).sockets.find((row: { kind: string }) =>
      row.kind === "kitty"
    );
    assert.equal(kittyRow.kitty_remote_control, "open", "the fake kitty needs no password");

    const watch = background(["socket-health", "--watch", "--interval", "0.05"], env);
    await waitFor("two rounds", () => watch.lines().length > 12);
    await watch.stop();
    assertVocabulary("socket-health --watch", watch.lines());

    const sent = await runInProcess(
      ["--json", "conbus", "send", ...bridgeFlags, "S0020044964F02D12"],
      { env },
    );
    assert.equal(sent.code, 0, sent.stderr);
    assertVocabulary("conbus send", documents(sent.stdout));
    const failed = await runInProcess(
      [
        "--json",
        "conbus",
        "send",
        "--direct",
        "--host",
        "127.0.0.1",
        "--port",
        "1",
        "S0020044964F02D12",
      ],
      { env },
    );
    assert.equal(failed.code, 1);
    assertVocabulary("conbus send (failed)", documents(failed.stdout));

    const reconnect = await runInProcess(["--json", "focus", "reconnect"], { env });
    assertVocabulary("focus reconnect", documents(reconnect.stdout));
    await waitFor(
      "the reconnect lines",
      () => focus.lines().filter((line) => line.compositor === "niri").length >= 3,
    );

    await serve.stop();
    assertVocabulary("conbus serve", serve.lines());
    await focus.stop();
    assertVocabulary("focus", focus.lines());
    const events = new Set(focus.lines().map((line) => line.event));
    for (const event of ["status_changed", "focus_gained", "focus_lost"]) {
      assert.ok(events.has(event), `${event} in ${[...events]}`);
    }

    const noTracker = await runInProcess(["--json", "focus", "status"], { env });
    assert.equal(noTracker.code, 1);
    assertVocabulary("focus status (no tracker)", documents(noTracker.stdout));

    for (const dryRun of [["--dry-run"], []]) {
      const cleanup = await runInProcess(["--json", "cleanup", ...dryRun], { env });
      assert.equal(cleanup.code, 0, cleanup.stderr);
      assertVocabulary("cleanup", documents(cleanup.stdout));
      assert.ok(cleanup.stdout.includes('"socket_path"'), "kept sockets are socket_path");
    }

    const setup = await runInProcess(["--json", "kitty", "setup"], { env });
    assert.equal(setup.code, 0, setup.stderr);
    assertVocabulary("kitty setup", documents(setup.stdout));
    const install = await runInProcess(
      ["--json", "systemd", "install", "--dry-run", "--bin", process.execPath],
      { env },
    );
    assert.equal(install.code, 0, install.stderr);
    assertVocabulary("systemd install", documents(install.stdout));
    const uninstall = await runInProcess(["--json", "systemd", "uninstall", "--dry-run"], { env });
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assertVocabulary("systemd uninstall", documents(uninstall.stdout));
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
});
