import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import { verifyRuntimeDir } from "../../src/sockets/runtime_dir.ts";

const UID = process.getuid!();

Deno.test("verifyRuntimeDir accepts 0700 and refuses a missing dir, a file, a symlink or group access", () => {
  const rt = mkdtempSync(join(tmpdir(), "tether-runtime-dir-"));
  chmodSync(rt, 0o700);
  try {
    verifyRuntimeDir(rt, UID);
    assert.throws(() => verifyRuntimeDir(join(rt, "none"), UID), ConfigError);
    writeFileSync(join(rt, "file"), "");
    assert.throws(() => verifyRuntimeDir(join(rt, "file"), UID), /is a file, not a directory/);
    symlinkSync(rt, join(rt, "link"));
    assert.throws(() => verifyRuntimeDir(join(rt, "link"), UID), /is a symlink, not a directory/);
    assert.throws(() => verifyRuntimeDir(rt, UID + 1), /owned by uid/);
    chmodSync(rt, 0o770);
    assert.throws(() => verifyRuntimeDir(rt, UID), /has mode 0770, must be 0700/);
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});
