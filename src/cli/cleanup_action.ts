import { runtimeDir } from "../platform/paths.ts";
import { runCleanup } from "../sockets/cleanup.ts";
import type { CliContext } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { modeFor } from "./output_mode.ts";
import { parseTimeoutSeconds } from "./socket_flags.ts";

/** `tether cleanup`'s flags as commander parsed them (declared in cleanup.ts). */
export interface CleanupOptions {
  /**
   * Report what would be removed, remove nothing.
   *
   * @default {false}
   */
  dryRun: boolean;
  /**
   * Connect deadline per socket, as typed (`1s`, `500ms`).
   *
   * @default {"1s"}
   */
  timeout: string;
  /**
   * Also list the sockets kept, and why.
   *
   * @default {false}
   */
  verbose: boolean;
}

/** Runs `tether cleanup`: loaded only when that subcommand runs. */
export async function cleanupAction(context: CliContext, options: CleanupOptions): Promise<void> {
  const timeoutMs = parseTimeoutSeconds(options.timeout);
  const logger = context.logger();
  const report = await runCleanup({
    runtimeDir: runtimeDir(context.env),
    env: context.env,
    uid: process.getuid!(),
    dryRun: options.dryRun,
    timeoutMs,
    onRemoved: (entry) =>
      logger.info(
        `${options.dryRun ? "would remove" : "removed"} stale ${entry.kind} socket ${entry.path}` +
          (entry.current ? " (the session's own socket: nothing listens on it)" : ""),
      ),
  });
  for (const failure of report.failed) {
    logger.error(`could not remove ${failure.socket_path}: ${failure.error.message}`);
  }
  if (modeFor(context, { stream: false }) === "json") {
    context.stdout(JSON.stringify(report) + "\n");
  } else if (
    options.verbose || report.removed.length > 0 || report.failed.length > 0
  ) {
    // Quiet unless something happened (a timer runs this every 5 minutes). One write: 10,000 removals are 10,000 lines, and a write per line costs more than
    // building the text.
    const verb = options.dryRun ? "would remove" : "removed";
    const lines = [
      ...report.removed.map((path) => `${verb} ${path}`),
      ...(options.verbose
        ? report.kept.map((kept) => `kept    ${kept.socket_path}: ${kept.reason}`)
        : []),
      ...report.failed.map((failed) => `FAILED  ${failed.socket_path}: ${failed.error.message}`),
      `${report.removed.length} ${
        options.dryRun ? "removable" : "removed"
      }, ${report.kept.length} kept, ${report.failed.length} failed`,
    ];
    context.stdout(lines.join("\n") + "\n");
  }
  context.setExitCode(report.failed.length > 0 ? ExitCode.failed : ExitCode.ok);
}
