import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runInProcess, tetherCommand } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

async function sandbox() {
  const dir = await tempDir("tether-odd-env-");
  const root = dir.path;
  const runtimeDir = join(root, "run");
  mkdirSync(runtimeDir, { mode: 0o700 });
  const env = { PATH: process.env.PATH, HOME: join(root, "home"), XDG_RUNTIME_DIR: runtimeDir };
  return { root, runtimeDir, env, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

/** Exit 2, nothing on stdout, exactly one stderr line matching `pattern`, no raw control bytes. */
function assertOneLineUsage(
  result: { code: number; stdout: string; stderr: string },
  pattern: RegExp,
) {
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, "");
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, pattern);
  // deno-lint-ignore no-control-regex -- looking for raw control characters
  assert.doesNotMatch(result.stderr, /[\x00-\x09\x0b-\x1f\x7f]/, "no raw control characters");
}

const DAEMONS: [string, string[]][] = [
  ["focus", ["focus", "--compositor", "sway"]],
  ["conbus serve", ["conbus", "serve", "--host", "127.0.0.1", "--port", "9"]],
];

for (const [name, argv] of DAEMONS) {
  Deno.test(`${name}: a file at $XDG_RUNTIME_DIR/tether is one line, exit 2`, async () => {
    await using box = await sandbox();
    writeFileSync(join(box.runtimeDir, "tether"), "not a directory\n");
    const result = await runInProcess(argv, { env: { ...box.env, SWAYSOCK: "/nonexistent" } });
    assertOneLineUsage(result, /tether is a file, not a directory; remove it/);
  });

  Deno.test(`${name}: a tether symlink to another directory is refused; its target untouched`, async () => {
    await using box = await sandbox();
    const victim = join(box.root, "victim-Documents");
    mkdirSync(victim, { mode: 0o755 });
    symlinkSync(victim, join(box.runtimeDir, "tether"));
    const result = await runInProcess(argv, { env: { ...box.env, SWAYSOCK: "/nonexistent" } });
    assertOneLineUsage(result, /is a symlink, not a directory/);
    assert.equal(statSync(victim).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(victim), []);
  });

  Deno.test(`${name}: a world-writable runtime dir is refused before anything is created`, async () => {
    await using box = await sandbox();
    Deno.chmodSync(box.runtimeDir, 0o777);
    const result = await runInProcess(argv, { env: { ...box.env, SWAYSOCK: "/nonexistent" } });
    assertOneLineUsage(
      result,
      /shared directory \(mode 0777\): XDG_RUNTIME_DIR must be your private 0700 directory/,
    );
    assert.deepEqual(readdirSync(box.runtimeDir), []);
  });
}

Deno.test("TETHER_LOG and flag values with escape bytes are echoed escaped", async () => {
  await using box = await sandbox();
  const log = await runInProcess(["cleanup"], {
    env: { ...box.env, TETHER_LOG: "\x1b]0;pwned\x07" },
  });
  assertOneLineUsage(log, /TETHER_LOG="\\u001b\]0;pwned\\u0007" is not a log level/);
  const flag = await runInProcess(["cleanup", "--timeout", "\x1b[2J1"], { env: box.env });
  assertOneLineUsage(flag, /\\x1b\[2J1/);
});

Deno.test("an XDG_RUNTIME_DIR that is not valid UTF-8: one line, exit 2, nothing removed", async () => {
  await using box = await sandbox();
  // The bytes reach tether unchanged only through a real environment: set them in a shell.
  const script = `dir="$1/$(printf 'r\\377')"; shift; mkdir -m 0700 "$dir" && ` +
    `mkfifo "$dir/sway-ipc.0.1.sock" && XDG_RUNTIME_DIR="$dir" "$@"; code=$?; ` +
    `ls "$dir" >&2; exit $code`;
  const result = spawnSync("sh", ["-c", script, "sh", box.root, ...tetherCommand(), "cleanup"], {
    env: { PATH: process.env.PATH, HOME: box.env.HOME },
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(result.status, 2, result.stderr);
  const lines = result.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 2, result.stderr); // tether's one line, then the listing
  assert.match(lines[0]!, /^tether: XDG_RUNTIME_DIR is not valid UTF-8/);
  assert.equal(lines[1], "sway-ipc.0.1.sock", "nothing removed");
});

Deno.test("systemd install: a FIFO where a unit goes is one line, exit 2, at once", async () => {
  await using box = await sandbox();
  const unitDir = join(box.root, "config", "systemd", "user");
  mkdirSync(unitDir, { recursive: true });
  new Deno.Command("mkfifo", { args: [join(unitDir, "tether-cleanup.service")] }).outputSync();
  const started = performance.now();
  const result = await runInProcess(["systemd", "install", "--bin", "/usr/bin/true"], {
    env: { ...box.env, XDG_CONFIG_HOME: join(box.root, "config") },
  });
  assertOneLineUsage(result, /tether-cleanup\.service is a FIFO, not a regular file/);
  assert.ok(performance.now() - started < 2000);
});
