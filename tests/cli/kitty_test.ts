import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runInProcess } from "../support/cli.ts";
import { tempDir } from "../support/temp_dir.ts";

async function sandbox() {
  const dir = await tempDir("tether-kitty-cli-");
  const root = dir.path;
  const env = {
    PATH: process.env.PATH,
    HOME: join(root, "home"),
    XDG_RUNTIME_DIR: join(root, "run"),
  };
  return { root, env, [Symbol.asyncDispose]: () => dir[Symbol.asyncDispose]() };
}

Deno.test("tether kitty setup creates the files, prints the include line and never the password", async () => {
  await using box = await sandbox();
  const result = await runInProcess(["kitty", "setup"], { env: box.env });
  assert.equal(result.code, 0, result.stderr);
  const passwordFile = join(box.env.HOME, ".config", "kitty", "rc.password");
  const password = readFileSync(passwordFile, "utf8").trim();
  assert.equal(password.length, 48);
  assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
  assert.match(result.stdout, /^ {4}include tether\.conf$/m);
  assert.ok(!result.stdout.includes(password));
  assert.ok(!result.stderr.includes(password));
  const include = join(box.env.HOME, ".config", "kitty", "tether.conf");
  assert.equal(statSync(include).mode & 0o777, 0o600);
  assert.ok(statSync(join(box.env.XDG_RUNTIME_DIR, "kitty")).isDirectory());
});

Deno.test("tether kitty setup keeps an existing password unless --force", async () => {
  await using box = await sandbox();
  await runInProcess(["kitty", "setup"], { env: box.env });
  const passwordFile = join(box.env.HOME, ".config", "kitty", "rc.password");
  const first = readFileSync(passwordFile, "utf8");
  const again = await runInProcess(["kitty", "setup"], { env: box.env });
  assert.equal(again.code, 0);
  assert.match(again.stdout, /kept/);
  assert.equal(readFileSync(passwordFile, "utf8"), first);
  const forced = await runInProcess(["kitty", "setup", "--force"], { env: box.env });
  assert.equal(forced.code, 0);
  assert.notEqual(readFileSync(passwordFile, "utf8"), first);
});

Deno.test("tether kitty setup --json reports what it did without the password", async () => {
  await using box = await sandbox();
  const result = await runInProcess(["--json", "kitty", "setup"], { env: box.env });
  assert.equal(result.code, 0);
  const report = JSON.parse(result.stdout);
  assert.equal(report.password, "created");
  assert.equal(report.include_line, "include tether.conf");
  assert.equal(report.already_included, false);
  const password = readFileSync(report.password_file, "utf8").trim();
  assert.ok(!result.stdout.includes(password));
});

Deno.test("tether kitty setup notices kitty.conf already includes tether.conf", async () => {
  await using box = await sandbox();
  await runInProcess(["kitty", "setup"], { env: box.env });
  writeFileSync(
    join(box.env.HOME, ".config", "kitty", "kitty.conf"),
    "font_size 11\ninclude tether.conf\n",
  );
  const result = await runInProcess(["kitty", "setup"], { env: box.env });
  assert.match(result.stdout, /already has "include tether\.conf"/);
});

Deno.test("tether kitty setup without XDG_RUNTIME_DIR is a config error (exit 2), nothing written", async () => {
  await using box = await sandbox();
  const result = await runInProcess(["kitty", "setup"], {
    env: { PATH: box.env.PATH, HOME: box.env.HOME },
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /XDG_RUNTIME_DIR/);
  assert.throws(() => statSync(join(box.env.HOME, ".config", "kitty", "rc.password")));
});

Deno.test("tether kitty setup rejects a relative --password-file (exit 2)", async () => {
  await using box = await sandbox();
  const result = await runInProcess(["kitty", "setup", "--password-file", "rc.pw"], {
    env: box.env,
  });
  assert.equal(result.code, 2);
  assert.match(result.stderr, /absolute/);
});
