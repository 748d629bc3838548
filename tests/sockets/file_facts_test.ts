import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { readFileFacts } from "../../src/sockets/file_facts.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("readFileFacts: lstat types (a symlink is not followed), owner, mode; null when absent", async () => {
  await using temp = await tempDir("tether-file-facts-");
  const dir = temp.path;
  const server = createServer();
  try {
    const socket = join(dir, "s.sock");
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    writeFileSync(join(dir, "file"), "", { mode: 0o640 });
    mkdirSync(join(dir, "dir"));
    symlinkSync(socket, join(dir, "link"));
    const type = (name: string) => readFileFacts(join(dir, name))?.type;
    assert.deepEqual(
      ["s.sock", "file", "dir", "link"].map(type),
      ["socket", "file", "directory", "symlink"],
    );
    const file = readFileFacts(join(dir, "file"))!;
    assert.equal(file.uid, process.getuid!());
    assert.equal(file.mode, 0o640 & ~process.umask());
    assert.notEqual(file.ino, readFileFacts(join(dir, "dir"))!.ino);
    assert.equal(readFileFacts(join(dir, "absent")), null);
    assert.equal(readFileFacts(join(dir, "file", "below-a-file")), null); // ENOTDIR
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
