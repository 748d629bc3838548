import assert from "node:assert/strict";
import { closeSync, fstatSync, openSync } from "node:fs";
import { join } from "node:path";
import { stdoutIsJournal } from "../../src/platform/journal_stream.ts";
import { tempDir } from "../support/temp_dir.ts";

Deno.test("stdoutIsJournal: true only when JOURNAL_STREAM names the descriptor's device and inode", async () => {
  await using temp = await tempDir("tether-journal-");
  const dir = temp.path;
  const fd = openSync(join(dir, "stream"), "w");
  const other = openSync(join(dir, "other"), "w");
  try {
    const info = fstatSync(fd, { bigint: true });
    const stream = `${info.dev}:${info.ino}`;
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: stream }, fd), true);
    // A child that inherited the variable but writes elsewhere.
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: stream }, other), false);
    assert.equal(stdoutIsJournal({}, fd), false);
    assert.equal(stdoutIsJournal({ JOURNAL_STREAM: "garbage" }, fd), false);
  } finally {
    closeSync(fd);
    closeSync(other);
  }
});
