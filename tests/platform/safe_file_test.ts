import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/platform/config_error.ts";
import { readFileSafely, writeFileSafely } from "../../src/platform/safe_file.ts";
import { tempDir } from "../support/temp_dir.ts";

const OTHER_UID = 1500; // scripts/setup.sh's test user

function withDir(run: (dir: string) => void | Promise<void>) {
  return async () => {
    await using tempDirectory = await tempDir("tether-safe-file-");
    const dir = tempDirectory.path;
    await run(dir);
  };
}

Deno.test(
  "a written file is 0600 from the start, a new inode, and an old reader keeps the old text",
  withDir((dir) => {
    const path = join(dir, "tether.conf");
    writeFileSync(path, "old secret\n", { mode: 0o644 });
    chmodSync(path, 0o644);
    const reader = openSync(path, "r"); // opened beforehand by someone else
    const inodeBefore = statSync(path).ino;
    writeFileSafely(path, "new secret\n");
    assert.equal(readFileSync(path, "utf8"), "new secret\n");
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.notEqual(statSync(path).ino, inodeBefore);
    const buffer = new Uint8Array(64);
    const length = readSync(reader, buffer);
    closeSync(reader);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, length)), "old secret\n");
    writeFileSafely(join(dir, "unit.service"), "[Unit]\n", { mode: 0o644 });
    assert.equal(statSync(join(dir, "unit.service")).mode & 0o777, 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ["tether.conf", "unit.service"], "no temp file left");
  }),
);

Deno.test(
  "never through a symlink, into a non-file, or into a file someone else owns",
  withDir((dir) => {
    const target = join(dir, "victim");
    writeFileSync(target, "victim's\n", { mode: 0o644 });
    chmodSync(target, 0o644);
    symlinkSync(target, join(dir, "rc.password"));
    assert.throws(() => writeFileSafely(join(dir, "rc.password"), "pw\n"), /is a symlink/);
    assert.equal(readFileSync(target, "utf8"), "victim's\n");
    assert.equal(statSync(target).mode & 0o777, 0o644);
    const foreign = join(dir, "foreign");
    writeFileSync(foreign, "theirs\n", { mode: 0o666 });
    chownSync(foreign, OTHER_UID, OTHER_UID);
    assert.throws(() => writeFileSafely(foreign, "pw\n"), /owned by uid 1500/);
    assert.equal(readFileSync(foreign, "utf8"), "theirs\n");
    mkdirSync(join(dir, "directory"));
    assert.throws(() => writeFileSafely(join(dir, "directory"), "pw\n"), /not a regular file/);
    assert.deepEqual(readdirSync(dir).sort(), ["directory", "foreign", "rc.password", "victim"]);
  }),
);

const CONFIG = { maxBytes: 1024, followSymlinks: true, label: "config file" } as const;

Deno.test(
  "a FIFO, a device or a symlink to one is refused at once (no hang, no read)",
  withDir((dir) => {
    const fifo = join(dir, "config.yml");
    new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
    const started = performance.now();
    assert.throws(
      () => readFileSafely(fifo, CONFIG),
      /config file .* is a FIFO, not a regular file/,
    );
    assert.ok(performance.now() - started < 1000);
    symlinkSync("/dev/zero", join(dir, "zero.yml"));
    assert.throws(() => readFileSafely(join(dir, "zero.yml"), CONFIG), /is a device/);
    assert.throws(
      () => readFileSafely(join(dir, "zero.yml"), { ...CONFIG, followSymlinks: false }),
      /is a symlink; refused/,
    );
    assert.throws(() => readFileSafely(dir, CONFIG), /is a directory/);
    assert.equal(readFileSafely(join(dir, "missing.yml"), CONFIG), null);
  }),
);

Deno.test(
  "size is capped before reading; owner and group/world-writable files are refused",
  withDir((dir) => {
    const path = join(dir, "config.yml");
    writeFileSync(path, "x".repeat(1025));
    assert.throws(() => readFileSafely(path, CONFIG), /1025 bytes, more than the 1024 allowed/);
    writeFileSync(path, "host: a\n");
    chmodSync(path, 0o644);
    const strict = { ...CONFIG, ownerUid: process.getuid!(), refuseSharedWrite: true };
    assert.equal(readFileSafely(path, strict), "host: a\n");
    chmodSync(path, 0o664);
    assert.throws(() => readFileSafely(path, strict), /writable by its group \(mode 0664\)/);
    chmodSync(path, 0o646);
    assert.throws(() => readFileSafely(path, strict), /writable by others/);
    chmodSync(path, 0o644);
    chownSync(path, OTHER_UID, OTHER_UID);
    assert.throws(() => readFileSafely(path, strict), ConfigError);
    assert.throws(() => readFileSafely(path, strict), /owned by uid 1500, not by you/);
  }),
);
