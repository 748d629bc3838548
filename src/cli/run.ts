import type { CliIo } from "./context.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { versionInfo, versionLine, versionRequest } from "./version.ts";

/**
 * Runs tether with user arguments (no `node`/script prefix) and returns the exit code. A
 * version request is answered here; anything else loads the command table (commander and
 * every subcommand's options) and then only the subcommand that runs — the start-up of a
 * short command is mostly module loading (README "Start-up").
 *
 * @example
 * ```ts
 * const code = await runCli(["--version"], io); // prints "tether 0.1.0 (…, bun 1.4.5)", returns 0
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  const version = versionRequest(args);
  if (version !== null) {
    const info = versionInfo();
    io.stdout((version.json ? JSON.stringify(info) : versionLine(info)) + "\n");
    return ExitCode.ok;
  }
  const { runCommand } = await import("./run_command.ts");
  return runCommand(args, io);
}
