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

/**
 * Settles once everything written so far has left the process. A reader slower than tether
 * (a full pipe) makes writes asynchronous, and exiting before their callbacks ran cut a 290 KB
 * `cleanup --json` to the first 64 KB; a stream's callbacks run in write order, so the last
 * one is enough.
 */
const written = { stdout: Promise.resolve(), stderr: Promise.resolve() };
const writer = (name: "stdout" | "stderr") => (text: string) => {
  written[name] = new Promise((resolve) => process[name].write(text, () => resolve()));
};

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: writer("stdout"),
  stderr: writer("stderr"),
  stdoutIsTty: Boolean(process.stdout.isTTY),
  shutdownSignal: shutdown.signal,
}).then((exitCode) => {
  // Daemons have closed their sockets by now; exiting explicitly ends stray unref'd timers.
  process.exitCode = exitCode;
  Promise.all([written.stdout, written.stderr]).then(() => process.exit(exitCode));
});
