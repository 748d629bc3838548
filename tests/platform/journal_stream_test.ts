import assert from "node:assert/strict";
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stdoutIsJournal } from "../../src/platform/journal_stream.ts";

Deno.test("stdoutIsJournal: true only when JOURNAL_STREAM names the descriptor's device and inode", () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-journal-"));
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
    rmSync(dir, { recursive: true, force: true });
  }
});
