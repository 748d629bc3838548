/**
 * `tether focus` as a user sees it, in-process against the fake niri and fake kitty sockets:
 * readable lines on a terminal (JSON lines with --json or on a pipe), a status that drops
 * kitties whose process is gone at once, and a readable status while the compositor is down.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli/run.ts";
import { type FakeNiriServer, startFakeNiri } from "../fakes/niri_server.ts";
import { openModeKitty, startFakeKitty } from "../fakes/kitty_server.ts";
import { runInProcess } from "../support/cli.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

interface Box {
  env: Record<string, string>;
  passwordFile: string;
  kittyPids: number[];
  sleepers: ChildProcess[];
  niri: FakeNiriServer;
}

/**
 * Two kitties (sleep processes with fake kitty sockets) in windows 1 and 2 of a fake niri, with
 * the app ids `appIds` (default both `kitty`).
 */
async function withBox(
  run: (box: Box) => Promise<void>,
  appIds: [string, string] = ["kitty", "kitty"],
): Promise<void> {
  await using rootDir = await tempDir("tether-focus-output-");
  const root = rootDir.path;
  const rt = join(root, "run");
  mkdirSync(join(rt, "kitty"), { recursive: true, mode: 0o700 });
  const passwordFile = join(root, "rc.password");
  writeFileSync(passwordFile, "focus-output-test\n", { mode: 0o600 });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    XDG_RUNTIME_DIR: rt,
    NIRI_SOCKET: join(rt, "niri.wayland-1.4242.sock"),
  };
  const sleepers = [0, 1].map(() => spawn("sleep", ["600"], { stdio: "ignore" }));
  const kittyPids = sleepers.map((sleeper) => sleeper.pid!);
  const kitties = await Promise.all(
    kittyPids.map((pid) =>
      startFakeKitty(openModeKitty(48), { socketPath: join(rt, "kitty", `kitty-${pid}.sock`) })
    ),
  );
  const niri = await startFakeNiri({
    path: env.NIRI_SOCKET!,
    windows: kittyPids.map((pid, index) => ({ id: index + 1, app_id: appIds[index]!, pid })),
    focusedId: 1,
  });
  try {
    await run({ env, passwordFile, kittyPids, sleepers, niri });
  } finally {
    await niri.close();
    for (const kitty of kitties) await kitty.close();
    for (const sleeper of sleepers) sleeper.kill("SIGKILL");
  }
}

/** `tether [global] focus …` in the background with a terminal or a pipe as stdout. */
function track(box: Box, options: { tty: boolean; global?: string[]; flags?: string[] }) {
  const shutdown = new AbortController();
  let stdout = "";
  const done = runCli(
    [
      ...(options.global ?? []),
      "focus",
      "--compositor",
      "niri",
      "--password-file",
      box.passwordFile,
      ...(options.flags ?? []),
    ],
    {
      env: { ...box.env, TERM: "xterm-256color" },
      stdout: (text) => (stdout += text),
      stderr: () => {},
      stdoutIsTty: options.tty,
      shutdownSignal: shutdown.signal,
    },
  );
  return {
    stdout: () => stdout,
    stop: async () => {
      shutdown.abort();
      return await done;
    },
  };
}

Deno.test("tether focus on a terminal prints readable lines; --json or a pipe get JSON lines", async () => {
  await withBox(async (box) => {
    const [a, b] = box.kittyPids as [number, number];
    const human = track(box, { tty: true });
    await waitFor(
      "A grown",
      () =>
        new RegExp(`↑ kitty ${a} OS window \\d+ \\(compositor window 1\\): grown`).test(
          human.stdout(),
        ),
    );
    box.niri.focus(2);
    await waitFor(
      "B grown",
      () =>
        new RegExp(`↑ kitty ${b} OS window \\d+ \\(compositor window 2\\): grown`).test(
          human.stdout(),
        ),
    );
    assert.equal(await human.stop(), 0);
    const lines = human.stdout().trimEnd().split("\n");
    const time = String.raw`\d\d:\d\d:\d\d`;
    assert.ok(
      lines.some((line) => new RegExp(`^${time} niri: connecting → connected$`).test(line)),
      human.stdout(),
    );
    assert.ok(lines.some((line) => new RegExp(`^${time} kitty ${a}: unknown → ready$`).test(line)));
    assert.ok(
      lines.some((line) =>
        new RegExp(
          `^${time} ↓ kitty ${a} OS window \\d+ \\(compositor window 1\\): shrunk in [\\d.]+ m?s$`,
        ).test(line)
      ),
      human.stdout(),
    );
    for (const line of lines) assert.doesNotMatch(line, /^\{/, "no JSON on a terminal");

    for (const options of [{ tty: true, global: ["--json"] }, { tty: false }]) {
      const machine = track(box, options);
      await waitFor("a grow line", () => machine.stdout().includes('"focus_gained"'));
      assert.equal(await machine.stop(), 0);
      const parsed = machine.stdout().trimEnd().split("\n").map((line) => JSON.parse(line));
      assert.ok(
        parsed.every((line) => typeof line.ts === "string" && typeof line.event === "string"),
      );
      const stop = parsed.filter((line) => line.compositor === "niri").at(-1);
      assert.deepEqual([stop.to, stop.error], ["disconnected", null], "a clean stop is no problem");
    }
  });
});

Deno.test("--app-id twice: windows of both app ids are kitties, status lists both", async () => {
  await withBox(async (box) => {
    const [, b] = box.kittyPids as [number, number];
    const tracker = track(box, {
      tty: false,
      flags: ["--app-id", "kitty", "--app-id", "kitty-dropdown"],
    });
    try {
      await waitFor("A grown", () => tracker.stdout().includes('"focus_gained"'));
      box.niri.focus(2);
      await waitFor(
        "the kitty-dropdown window grown",
        () =>
          tracker.stdout().includes(`"pid":${b},`) &&
          tracker.stdout().includes(`"window_id":2,"status":"success"`),
      );
      const status = await runInProcess(["--json", "focus", "status"], { env: box.env });
      assert.equal(status.code, 0, status.stderr);
      assert.deepEqual(JSON.parse(status.stdout).settings.app_ids, ["kitty", "kitty-dropdown"]);
    } finally {
      await tracker.stop();
    }
  }, ["kitty", "kitty-dropdown"]);
});

Deno.test("a kitty whose process is gone leaves focus status at once", async () => {
  await withBox(async (box) => {
    const [a, b] = box.kittyPids as [number, number];
    const tracker = track(box, { tty: false });
    try {
      await waitFor("A grown", () => tracker.stdout().includes('"focus_gained"'));
      box.niri.focus(2);
      await waitFor(
        "B grown",
        () =>
          tracker.stdout().includes(`"pid":${b},`) &&
          tracker.stdout().includes(`"window_id":2,"status":"success"`),
      );
      const before = await runInProcess(["--json", "focus", "status"], { env: box.env });
      assert.deepEqual(
        JSON.parse(before.stdout).kitties.map((kitty: { pid: number }) => kitty.pid).sort(),
        [a, b].sort(),
      );
      // Like kill -9 of the compositor taking its kitties along: no window event arrives.
      box.sleepers[0]!.kill("SIGKILL");
      await waitFor(
        "A's process gone",
        () => box.sleepers[0]!.exitCode !== null || box.sleepers[0]!.signalCode !== null,
      );
      const after = await runInProcess(["--json", "focus", "status"], { env: box.env });
      const pids = JSON.parse(after.stdout).kitties.map((kitty: { pid: number }) => kitty.pid);
      assert.deepEqual(pids, [b]);
      const text = await runInProcess(["focus", "status"], { env: box.env });
      assert.doesNotMatch(text.stdout, new RegExp(`kitty ${a}`));
    } finally {
      await tracker.stop();
    }
  });
});

Deno.test("focus status while the compositor is gone: reconnecting since …, next retry in seconds", async () => {
  await withBox(async (box) => {
    const tracker = track(box, { tty: false });
    try {
      await waitFor("A grown", () => tracker.stdout().includes('"focus_gained"'));
      await box.niri.close();
      await waitFor("reconnecting", async () => {
        const result = await runInProcess(["--json", "focus", "status"], { env: box.env });
        return JSON.parse(result.stdout).connection.status === "reconnecting";
      });
      const text = await runInProcess(["focus", "status"], { env: box.env });
      assert.equal(text.code, 0, text.stderr);
      const line = text.stdout.split("\n").find((each) => each.startsWith("compositor:"))!;
      assert.match(line, /^compositor: niri reconnecting .*, since \d\d:\d\d:\d\d/);
      assert.doesNotMatch(text.stdout, /connected for|\d+\.\d{3,} ms/);
      const waybar = await runInProcess(["focus", "status", "--format", "waybar"], {
        env: box.env,
      });
      assert.equal(JSON.parse(waybar.stdout).class, "reconnecting");
    } finally {
      await tracker.stop();
    }
  });
});
