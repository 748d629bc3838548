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

Deno.test("a shared runtime dir (sticky, world-writable, someone else's) is never to be chmodded", () => {
  const rt = mkdtempSync(join(tmpdir(), "tether-runtime-dir-"));
  const private_ = `XDG_RUNTIME_DIR must be your private 0700 directory (usually /run/user/${UID})`;
  try {
    for (const mode of [0o1777, 0o777, 0o1700]) {
      chmodSync(rt, mode);
      assert.throws(
        () => verifyRuntimeDir(rt, UID),
        (error: Error) => error.message.includes(private_) && !error.message.includes("chmod"),
        `mode ${mode.toString(8)}`,
      );
    }
    // The real /tmp: root's, sticky and world-writable (the XDG_RUNTIME_DIR=/tmp).
    assert.throws(
      () => verifyRuntimeDir("/tmp", UID === 0 ? 1500 : UID),
      (error: Error) => error.message.includes("private 0700") && !error.message.includes("chmod"),
    );
    chmodSync(rt, 0o700);
    assert.throws(
      () => verifyRuntimeDir(rt, UID + 1),
      (error: Error) =>
        error.message.includes(`private 0700 directory (usually /run/user/${UID + 1})`),
    );
  } finally {
    rmSync(rt, { recursive: true, force: true });
  }
});
