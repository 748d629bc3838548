import { fstatSync, writeSync } from "node:fs";
import type { WritableOut } from "./stdout_guard.ts";

/**
 * Standard output for {@link StdoutGuard} without building the runtime's stdout stream until a
 * pipe or socket needs one: building `process.stdout` costs the compiled binary 3–10 ms of
 * its start-up (Bun loads its Node stream classes then; README "Start-up"), more than the rest
 * of `tether --version`. A regular file or a character device (terminal, /dev/null,
 * /dev/full) is written synchronously, as Node writes to files and terminals anyway; its errors
 * (ENOSPC, EPIPE) reach the write's callback as a stream's would. A pipe or socket, whose
 * reader may be slow, gets the stream, so a full pipe never blocks the event loop; so does
 * everything after a synchronous write that would have blocked (EAGAIN: a terminal left
 * non-blocking by another program).
 *
 * @example
 * ```ts
 * const out = new StdoutGuard(stdoutSink(1, () => process.stdout), options);
 * ```
 */
export function stdoutSink(fd: number, openStream: () => WritableOut): WritableOut {
  let stream: WritableOut | null = null;
  const errorListeners: ((error: Error) => void)[] = [];
  const streamed = (): WritableOut => {
    if (stream === null) {
      stream = openStream();
      for (const listener of errorListeners) stream.on("error", listener);
    }
    return stream;
  };
  let direct = writesWithoutBlocking(fd);
  return {
    write(text, callback) {
      if (!direct) return streamed().write(text, callback);
      const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
      let offset = 0;
      try {
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset);
      } catch (error) {
        if ((error as { code?: string }).code !== "EAGAIN") {
          queueMicrotask(() => callback?.(error as Error));
          return false;
        }
        direct = false;
        return streamed().write(bytes.subarray(offset), callback);
      }
      queueMicrotask(() => callback?.(null));
      return true;
    },
    on(event, listener) {
      errorListeners.push(listener);
      return stream?.on(event, listener);
    },
  };
}

/** Whether `fd` is a regular file or a character device (never a pipe or socket). */
function writesWithoutBlocking(fd: number): boolean {
  try {
    const facts = fstatSync(fd);
    return facts.isFile() || facts.isCharacterDevice();
  } catch {
    return false; // closed or odd: the stream reports the error as before
  }
}
