import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer } from "node:net";
import { runInProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

async function sandbox() {
  const dir = await tempDir("tether-focus-cli-");
  const root = dir.path;
  const runtimeDir = join(root, "run");
  mkdirSync(runtimeDir, { mode: 0o700 });
  const env = { PATH: process.env.PATH, HOME: join(root, "home"), XDG_RUNTIME_DIR: runtimeDir };
  return { env, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

/** Runs `tether focus <args>` and asserts a usage error: exit 2, one stderr line naming `flag`. */
async function assertUsageError(args: string[], flag: string): Promise<void> {
  await using box = await sandbox();
  const result = await runInProcess(["focus", ...args], { env: box.env });
  assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0]!.includes(flag), result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

Deno.test("tether focus rejects bad flag values with exit 2 and one line", async () => {
  const cases: [string[], string][] = [
    [["--compositor", "weston"], "--compositor"],
    [["--app-id", " "], "--app-id"],
    [["--font-delta", "0"], "--font-delta"],
    [["--font-delta", "big"], "--font-delta"],
    [["--socket-timeout", "-1"], "--socket-timeout"],
    [["--max-retries", "0"], "--max-retries"],
    [["--max-retries", "2.5"], "--max-retries"],
    [["--max-connections", "0"], "--max-connections"],
    [["--idle-timeout", "x"], "--idle-timeout"],
    [["--reap-interval", "0"], "--reap-interval"],
  ];
  for (const [args, flag] of cases) await assertUsageError(args, flag);
});

Deno.test("tether focus --compositor names the compositors it can follow", async () => {
  await assertUsageError(["--compositor", "hyprland"], "auto, niri, sway or i3");
});

Deno.test("tether focus --exclude-title with a broken regular expression is a usage error", async () => {
  await assertUsageError(["--exclude-title", "(unclosed"], "--exclude-title");
});

Deno.test("tether focus without any compositor is a configuration error (exit 2)", async () => {
  // No $NIRI_SOCKET / $SWAYSOCK and an empty runtime dir: nothing to follow.
  await assertUsageError([], "--compositor niri|sway|i3");
});

Deno.test("tether focus status and reconnect without a running tracker exit 1", async () => {
  await using box = await sandbox();
  for (const args of [["focus", "status"], ["focus", "reconnect"]]) {
    const result = await runInProcess(args, { env: box.env });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /no tether focus is running .*focus\.sock/);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
  }
});

Deno.test("config.yml: an unknown section, an unknown focus key and a YAML error are one line, exit 2", async () => {
  await using box = await sandbox();
  const configDir = join(box.env.HOME, ".config", "tether");
  mkdirSync(configDir, { recursive: true });
  const cases: [string, RegExp][] = [
    [
      "fcous:\n  font_delta: 2\n",
      /config\.yml: unknown section "fcous" \(did you mean focus\?\)/,
    ],
    [
      "focus:\n  font_detla: 2\n",
      /config\.yml: unknown key focus\.font_detla \(did you mean font_delta\?\)/,
    ],
    ["focus: [a\n", /config\.yml: not valid YAML: .* at line 2, column 1$/],
    [
      "focus:\n  host: x\n  host: y\n",
      /not valid YAML: Map keys must be unique at line 3, column 3$/,
    ],
    [
      "focus:\n  compositor: weston\n",
      /config\.yml: focus\.compositor must be auto, niri, sway or i3, got "weston"$/,
    ],
  ];
  for (const [text, message] of cases) {
    writeFileSync(join(configDir, "config.yml"), text);
    for (const args of [["focus"], ["conbus", "send", "S0020044964F02D12"]]) {
      // Keys inside focus: are focus's to check; the file's shape is every command's.
      if (args[0] === "conbus" && /font_detla|compositor/.test(text)) continue;
      const result = await runInProcess(args, { env: box.env });
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.equal(result.stdout, "");
      assert.equal(result.stderr.split("\n").length, 2, result.stderr);
      assert.match(result.stderr.trimEnd(), message);
      assert.doesNotMatch(result.stderr, /:\n$|\^/, "no dangling `column 1:` or caret line");
    }
  }
});

Deno.test("config.yml's focus: section reaches the tracker; a flag overrides it", async () => {
  await using box = await sandbox();
  const configDir = join(box.env.HOME, ".config", "tether");
  mkdirSync(configDir, { recursive: true });
  // A bad font_delta in the file is an error naming the file …
  writeFileSync(join(configDir, "config.yml"), "focus:\n  font_delta: 99\n");
  const fromFile = await runInProcess(["focus"], { env: box.env });
  assert.equal(fromFile.code, 2);
  assert.match(
    fromFile.stderr,
    /config\.yml: focus\.font_delta must be a number from 0\.5 to 50/,
  );
  // … the environment overrides the file, and a flag overrides both: the next error is the
  // missing compositor, so the font delta was accepted.
  const fromEnv = await runInProcess(["focus"], {
    env: { ...box.env, TETHER_FOCUS_FONT_DELTA: "2" },
  });
  assert.match(fromEnv.stderr, /--compositor niri\|sway/);
  const fromFlag = await runInProcess(["focus", "--font-delta", "2"], {
    env: { ...box.env, TETHER_FOCUS_FONT_DELTA: "x" },
  });
  assert.match(fromFlag.stderr, /--compositor niri\|sway/);
});

Deno.test("--json focus status/reconnect without a tracker still print one JSON document on stdout", async () => {
  await using box = await sandbox();
  for (
    const [args, key] of [
      [["--json", "focus", "status"], "running"],
      [["focus", "status", "--format", "json"], "running"],
      [["--json", "focus", "reconnect"], "reconnecting"],
    ] as const
  ) {
    const result = await runInProcess([...args], { env: box.env });
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
    const document = JSON.parse(result.stdout);
    assert.equal(document[key], false);
    assert.equal(document.error.category, "not_configured");
    assert.match(document.error.message, /no tether focus is running/);
    assert.match(result.stderr, /no tether focus is running/, "the one error line stays");
  }
});

Deno.test("focus status --format waybar without a tracker: a 'focus off' line, exit 0 (Waybar hides a failing module)", async () => {
  await using box = await sandbox();
  const result = await runInProcess(["focus", "status", "--format", "waybar"], { env: box.env });
  assert.equal(result.code, 0, result.stderr);
  const line = JSON.parse(result.stdout);
  assert.deepEqual(Object.keys(line).sort(), ["class", "text", "tooltip"]);
  assert.equal(line.class, "stopped");
  assert.equal(line.text, "focus off");
  assert.match(line.tooltip, /no tether focus is running/);
  const both = await runInProcess(["--json", "focus", "status", "--format", "waybar"], {
    env: box.env,
  });
  assert.equal(both.code, 2, "--json and --format waybar exclude each other");
});

Deno.test("focus status against a tracker from another tether version: one line, exit 1, no crash", async () => {
  await using box = await sandbox();
  const socketPath = join(box.env.XDG_RUNTIME_DIR, "tether", "focus.sock");
  mkdirSync(join(box.env.XDG_RUNTIME_DIR, "tether"), { mode: 0o700 });
  // The reply of a tracker started before this release: other names, no `app_ids`.
  const old = { daemon: "focus", pid: 4242, uptime_seconds: 5, settings: { app_id: "kitty" } };
  const server = createServer((socket) => {
    socket.on("data", () => socket.write(JSON.stringify({ ok: true, data: old }) + "\n"));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  try {
    const result = await runInProcess(["focus", "status"], { env: box.env });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^tether: .*tracker \(pid 4242\) is from another tether version/);
    assert.equal(result.stderr.trimEnd().split("\n").length, 1, result.stderr);
    // A bar shows it rather than vanish (Waybar hides a module that exits non-zero).
    const bar = await runInProcess(["focus", "status", "--format", "waybar"], { env: box.env });
    assert.equal(bar.code, 0, bar.stderr);
    assert.match(JSON.parse(bar.stdout).tooltip, /another tether version/);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
