import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, constants, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stdoutSink } from "../../src/cli/stdout_sink.ts";
import type { WritableOut } from "../../src/cli/stdout_guard.ts";
import { tempDir } from "../support/temp_dir.ts";

/** A stream that records what reached it, standing in for process.stdout. */
function recordingStream(): WritableOut & { written: string[]; listeners: number } {
  const stream = {
    written: [] as string[],
    listeners: 0,
    write(text: string | Uint8Array, callback?: (error?: Error | null) => void) {
      stream.written.push(typeof text === "string" ? text : new TextDecoder().decode(text));
      callback?.(null);
      return true;
    },
    on() {
      stream.listeners++;
      return stream;
    },
  };
  return stream;
}

function written(sink: WritableOut, text: string): Promise<Error | null | undefined> {
  return new Promise((resolve) => sink.write(text, resolve));
}

Deno.test("stdout sink: a regular file is written synchronously and the stream is never built", async () => {
  await using temp = await tempDir("tether-sink-");
  const dir = temp.path;
  const fd = openSync(join(dir, "out"), "w");
  try {
    let opened = 0;
    const sink = stdoutSink(fd, () => (opened++, recordingStream()));
    sink.on("error", () => {});
    assert.equal(await written(sink, "tether 0.1.0 ✓\n"), null);
    assert.equal(await written(sink, ""), null);
    assert.equal(readFileSync(join(dir, "out"), "utf8"), "tether 0.1.0 ✓\n");
    assert.equal(opened, 0);
  } finally {
    closeSync(fd);
  }
});

Deno.test("stdout sink: /dev/full's ENOSPC reaches the write's callback, as a stream's error would", async () => {
  const fd = openSync("/dev/full", "w");
  try {
    const sink = stdoutSink(fd, () => {
      throw new Error("a character device needs no stream");
    });
    const error = await written(sink, "x\n");
    assert.equal((error as { code?: string } | null)?.code, "ENOSPC");
  } finally {
    closeSync(fd);
  }
});

Deno.test("stdout sink: a pipe gets the stream, built at the first write with the error listeners", async () => {
  await using temp = await tempDir("tether-sink-");
  const dir = temp.path;
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(fifo, constants.O_WRONLY);
  try {
    const stream = recordingStream();
    let opened = 0;
    const sink = stdoutSink(fd, () => (opened++, stream));
    sink.on("error", () => {});
    assert.equal(opened, 0);
    assert.equal(await written(sink, "a\n"), null);
    assert.equal(await written(sink, "b\n"), null);
    assert.equal(opened, 1);
    assert.equal(stream.listeners, 1);
    assert.deepEqual(stream.written, ["a\n", "b\n"]);
  } finally {
    closeSync(fd);
    closeSync(reader);
  }
});
