/**
 * tether's entry point: hands the process's arguments and streams to the CLI and exits with
 * the code it returns. No top-level await: the single binary is compiled to bytecode, which
 * bun supports only for scripts without it.
 *
 * @module
 */
import process from "node:process";
import { runCli } from "./src/cli/run.ts";

const shutdown = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => shutdown.abort(signal));
}

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTty: Boolean(process.stdout.isTTY),
  terminalSize: () => {
    if (!process.stdout.isTTY) return null;
    // getWindowSize asks the terminal now; `columns` may lag a resize on some runtimes.
    const [columns, rows] = process.stdout.getWindowSize?.() ??
      [process.stdout.columns, process.stdout.rows];
    return columns > 0 && rows > 0 ? { columns, rows } : null;
  },
  onTerminalResize: (listener) => {
    process.on("SIGWINCH", listener);
    return () => process.off("SIGWINCH", listener);
  },
  shutdownSignal: shutdown.signal,
}).then((exitCode) => {
  // Daemons have closed their sockets by now; exiting explicitly ends stray unref'd timers.
  process.exitCode = exitCode;
  process.stdout.write("", () => process.exit(exitCode));
});
