import assert from "node:assert/strict";
import { chmodSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readPasswordFile } from "../../src/kitty/password_file.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { tempDir } from "../support/temp_dir.ts";

const notConfigured = (pattern: RegExp) => (error: unknown) =>
  error instanceof ConnectionError && error.category === "not_configured" &&
  pattern.test(error.message);

Deno.test("the password file: read when private; a FIFO, a device or loose mode is not_configured at once", async () => {
  await using temp = await tempDir("tether-password-");
  const dir = temp.path;
  const path = join(dir, "rc.password");
  writeFileSync(path, "abc123\n", { mode: 0o600 });
  assert.equal(await readPasswordFile(path), "abc123");
  chmodSync(path, 0o644);
  await assert.rejects(readPasswordFile(path), notConfigured(/accessible by other users/));
  const fifo = join(dir, "fifo.password");
  new Deno.Command("mkfifo", { args: ["-m", "0600", fifo] }).outputSync();
  const started = performance.now();
  await assert.rejects(readPasswordFile(fifo), notConfigured(/is a FIFO, not a regular file/));
  assert.ok(performance.now() - started < 1000);
  const zero = join(dir, "zero.password");
  symlinkSync("/dev/zero", zero);
  await assert.rejects(readPasswordFile(zero), notConfigured(/is a device|accessible/));
});
