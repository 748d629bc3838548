/**
 * tether's entry point: hands the process's arguments and streams to the CLI and exits with
 * the code it returns. No top-level await: the single binary is compiled to bytecode, which
 * bun supports only for scripts without it.
 *
 * @module
 */
import process from "node:process";
import { runCli } from "./src/cli/run.ts";
import { StdoutGuard } from "./src/cli/stdout_guard.ts";
import { stdoutSink } from "./src/cli/stdout_sink.ts";

const shutdown = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => shutdown.abort(signal));
}
// A reader that went away (EPIPE: `tether … | head -1`) ends the command quietly; any other
// write error (ENOSPC: `>/dev/full`) is one line on stderr and exit 1. Either way a long-running
// command stops as on SIGTERM. finish() waits until everything written has left the process.
const stdout = new StdoutGuard(stdoutSink(1, () => process.stdout), {
  stderr: (text) => process.stderr.write(text),
  onBroken: () => shutdown.abort("stdout"),
});

/**
 * Settles once everything written to stderr so far has left the process: a slower reader (a
 * full pipe) makes writes asynchronous, and exiting before their callbacks ran cuts output.
 * A stream's callbacks run in write order, so the last one is enough.
 */
let stderrWritten = Promise.resolve();
const writeStderr = (text: string) => {
  stderrWritten = new Promise((resolve) => process.stderr.write(text, () => resolve()));
};

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => stdout.write(text),
  stderr: writeStderr,
  terminalSize: () => {
    if (!process.stdout.isTTY) return null;
    // getWindowSize asks the terminal now; `columns` may lag a resize on some runtimes.
    const [columns, rows] = process.stdout.getWindowSize?.() ??
      [process.stdout.columns, process.stdout.rows];
    return columns > 0 && rows > 0 ? { columns, rows } : null;
  },
  onTerminalResize: (listener) => {
    // Build the stdout stream (stdoutSink defers it) before listening: its own SIGWINCH handler
    // refreshes the size terminalSize reads on Bun, and must run before this listener.
    process.stdout.isTTY;
    process.on("SIGWINCH", listener);
    return () => process.off("SIGWINCH", listener);
  },
  shutdownSignal: shutdown.signal,
}).then(async (commandExitCode) => {
  // Daemons have closed their sockets by now; exiting explicitly ends stray unref'd timers.
  const exitCode = await stdout.finish(commandExitCode);
  process.exitCode = exitCode;
  stderrWritten.then(() => process.exit(exitCode));
});
