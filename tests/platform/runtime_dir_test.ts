import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import { prepareTetherRuntimeDir, verifyRuntimeDir } from "../../src/platform/runtime_dir.ts";
import { tempDir } from "../support/temp_dir.ts";

const UID = process.getuid!();

Deno.test("verifyRuntimeDir accepts 0700 and refuses a missing dir, a file, a symlink or group access", async () => {
  await using rtDir = await tempDir("tether-runtime-dir-");
  const rt = rtDir.path;
  chmodSync(rt, 0o700);
  verifyRuntimeDir(rt, UID);
  assert.throws(() => verifyRuntimeDir(join(rt, "none"), UID), ConfigError);
  writeFileSync(join(rt, "file"), "");
  assert.throws(() => verifyRuntimeDir(join(rt, "file"), UID), /is a file, not a directory/);
  symlinkSync(rt, join(rt, "link"));
  assert.throws(() => verifyRuntimeDir(join(rt, "link"), UID), /is a symlink, not a directory/);
  assert.throws(() => verifyRuntimeDir(rt, UID + 1), /owned by uid/);
  chmodSync(rt, 0o770);
  assert.throws(() => verifyRuntimeDir(rt, UID), /has mode 0770, must be 0700/);
});

Deno.test("a symlinked runtime dir is refused in every spelling; an ancestor symlink resolves", async () => {
  await using rootDir = await tempDir("tether-runtime-dir-");
  const root = rootDir.path;
  const rt = join(root, "rt");
  mkdirSync(rt, { mode: 0o700 });
  chmodSync(rt, 0o700);
  symlinkSync(rt, join(root, "link"));
  symlinkSync(root, join(root, "up"));
  for (const spelling of ["link", "link/", "link/.", "link//", "./link/"]) {
    assert.throws(
      () => verifyRuntimeDir(`${root}/${spelling}`, UID),
      /is a symlink, not a directory/,
      spelling,
    );
  }
  assert.equal(verifyRuntimeDir(`${root}/up/rt/`, UID), rt);
  assert.equal(verifyRuntimeDir(`${rt}//.`, UID), rt);
});

Deno.test("prepareTetherRuntimeDir creates tether/ 0700, refuses a file, a symlink or a foreign dir there", async () => {
  await using rtDir = await tempDir("tether-runtime-dir-");
  const rt = rtDir.path;
  chmodSync(rt, 0o700);
  const env = { XDG_RUNTIME_DIR: rt };
  const dir = join(rt, "tether");
  assert.equal(prepareTetherRuntimeDir(env, UID), dir);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  rmdirSync(dir);
  writeFileSync(dir, "");
  assert.throws(
    () => prepareTetherRuntimeDir(env, UID),
    /tether is a file, not a directory; remove it/,
  );
  rmSync(dir);
  const elsewhere = mkdtempSync(join(tmpdir(), "tether-victim-"));
  symlinkSync(elsewhere, dir);
  assert.throws(() => prepareTetherRuntimeDir(env, UID), /is a symlink, not a directory/);
  assert.equal(statSync(elsewhere).mode & 0o777, 0o700, "the target is untouched");
  rmSync(dir);
  rmSync(elsewhere, { recursive: true });
  mkdirSync(dir, { mode: 0o700 });
  chownSync(dir, 1500, 1500);
  assert.throws(() => prepareTetherRuntimeDir(env, UID), /owned by uid 1500/);
  assert.throws(
    () => prepareTetherRuntimeDir({ XDG_RUNTIME_DIR: `${rt}/\uFFFD` }, UID),
    /not valid UTF-8/,
  );
});

Deno.test("a shared runtime dir (sticky, world-writable, someone else's) is never to be chmodded", async () => {
  await using rtDir = await tempDir("tether-runtime-dir-");
  const rt = rtDir.path;
  const privateDir =
    `XDG_RUNTIME_DIR must be your private 0700 directory (usually /run/user/${UID})`;
  for (const mode of [0o1777, 0o777, 0o1700]) {
    chmodSync(rt, mode);
    assert.throws(
      () => verifyRuntimeDir(rt, UID),
      (error: Error) => error.message.includes(privateDir) && !error.message.includes("chmod"),
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
});
