import assert from "node:assert/strict";
import { readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  MAX_ENLARGED_RECORD_BYTES,
  readEnlargedRecord,
  writeEnlargedRecord,
} from "../../src/focus/enlarged_record.ts";
import { tempDir } from "../support/temp_dir.ts";

async function withDir(run: (dir: string) => Promise<void>) {
  await using temp = await tempDir("tether-record-");
  const dir = temp.path;
  await run(dir);
}

Deno.test("the record round-trips, is 0600, and an empty list removes it", () =>
  withDir(async (dir) => {
    const path = join(dir, "tether", "focus-enlarged.json");
    const enlarged = [
      { pid: 4268, start_time_ms: 1700000000000, os_window_id: 1, delta_pt: 3 },
      { pid: 4268, start_time_ms: 1700000000000, os_window_id: 2, delta_pt: 3 },
    ];
    await writeEnlargedRecord(path, enlarged);
    assert.deepEqual(await readEnlargedRecord(path), enlarged);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await writeEnlargedRecord(path, []);
    await assert.rejects(stat(path), { code: "ENOENT" });
    assert.deepEqual(await readEnlargedRecord(path), []);
  }));

Deno.test("a malformed record reads as empty and bad entries are dropped", () =>
  withDir(async (dir) => {
    const path = join(dir, "focus-enlarged.json");
    await writeFile(path, "{not json");
    assert.deepEqual(await readEnlargedRecord(path), []);
    await writeFile(
      path,
      JSON.stringify({
        enlarged: [{ pid: -1, start_time_ms: null, delta_pt: 3 }, {
          pid: 5,
          start_time_ms: null,
          delta_pt: 2,
        }],
      }),
    );
    // The older per-kitty form (no os_window_id) reads as "kitty's active OS window".
    assert.deepEqual(await readEnlargedRecord(path), [{
      pid: 5,
      start_time_ms: null,
      os_window_id: null,
      delta_pt: 2,
    }]);
  }));

Deno.test("a FIFO, a symlink to /dev/zero or an oversized record reads as empty at once", () =>
  withDir(async (dir) => {
    const path = join(dir, "focus-enlarged.json");
    new Deno.Command("mkfifo", { args: [path] }).outputSync();
    const started = performance.now();
    assert.deepEqual(await readEnlargedRecord(path), []); // used to block forever in open()
    await rm(path);
    await symlink("/dev/zero", path);
    assert.deepEqual(await readEnlargedRecord(path), []); // used to grow past 3 GB
    await rm(path);
    const entry = { pid: 5, start_time_ms: null, os_window_id: null, delta_pt: 2 };
    const huge = JSON.stringify({
      enlarged: Array(Math.ceil(MAX_ENLARGED_RECORD_BYTES / 40)).fill(entry),
    });
    assert.ok(huge.length > MAX_ENLARGED_RECORD_BYTES);
    await writeFile(path, huge);
    assert.deepEqual(await readEnlargedRecord(path), []);
    assert.ok(performance.now() - started < 2000);
  }));

Deno.test("writing the record never follows a symlink planted at its path", () =>
  withDir(async (dir) => {
    const victim = join(dir, "victim");
    await writeFile(victim, "victim's\n");
    const path = join(dir, "focus-enlarged.json");
    await symlink(victim, path);
    await assert.rejects(
      writeEnlargedRecord(path, [{ pid: 5, start_time_ms: null, os_window_id: null, delta_pt: 2 }]),
      /is a symlink/,
    );
    assert.equal(await readFile(victim, "utf8"), "victim's\n");
  }));
