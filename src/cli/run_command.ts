import { CommanderError } from "@commander-js/extra-typings";
import { isatty } from "node:tty";
import { escapeControl } from "../platform/escape_control.ts";
import { ConfigError } from "../platform/config_error.ts";
import { LOG_LEVELS, type LogLevel, parseLogLevel } from "../platform/logger.ts";
import { ConnectionError } from "../resilience/errors.ts";
import { loggerFor } from "./context.ts";
import type { CliContext, CliIo, GlobalOptions } from "./context.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { COMPLETE_COMMAND, completeWords, formatCandidates } from "./completions.ts";
import { buildProgram, commandWord } from "./program.ts";

/**
 * Parses user arguments with the command table and runs the subcommand they name (or prints
 * help or completion candidates); returns the exit code. User errors become one line on
 * stderr, never a stack trace. Loaded by {@link runCli} only when the arguments are more than
 * a version request, so `tether --version` never loads commander.
 */
export async function runCommand(args: readonly string[], io: CliIo): Promise<ExitCodeValue> {
  let exitCode: ExitCodeValue = ExitCode.ok;
  let globals: GlobalOptions = { json: false, logLevel: "warn" };
  let logger = loggerFor(globals, io);
  const context: CliContext = {
    ...io,
    stdoutIsTty: io.stdoutIsTty ?? isatty(1),
    globals: () => globals,
    logger: () => logger,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const completing = args[0] === COMPLETE_COMMAND;
  const program = buildProgram(context, completing ? undefined : commandWord(args));
  if (completing) {
    const words = args[1] === "--" ? args.slice(2) : args.slice(1);
    const candidates = completeWords(program, words);
    if (candidates.length > 0) io.stdout(formatCandidates(candidates) + "\n");
    return ExitCode.ok;
  }
  program.hook("preAction", (_root, action) => {
    const options = action.optsWithGlobals() as Partial<GlobalOptions>;
    globals = { json: options.json ?? false, logLevel: options.logLevel ?? logLevelFromEnv(io) };
    logger = loggerFor(globals, io);
  });
  try {
    await program.parseAsync([...args], { from: "user" });
    return exitCode;
  } catch (error) {
    return reportError(error, context);
  }
}

function logLevelFromEnv(io: CliIo): LogLevel {
  const value = io.env.TETHER_LOG;
  if (value === undefined || value === "") return "warn";
  const level = parseLogLevel(value);
  if (level === null) {
    throw new ConfigError(
      `TETHER_LOG=${JSON.stringify(value)} is not a log level (${LOG_LEVELS.join(", ")})`,
    );
  }
  return level;
}

function reportError(error: unknown, context: CliContext): ExitCodeValue {
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return ExitCode.ok; // --help, --version
    // A command group called without a subcommand: commander already printed its help on stderr.
    if (error.code === "commander.help") return ExitCode.usage;
    context.stderr(`tether: ${oneLine(error.message.replace(/^error: /, ""))}\n`);
    return ExitCode.usage;
  }
  if (error instanceof ConfigError) {
    context.stderr(`tether: ${oneLine(error.message)}\n`);
    return ExitCode.usage;
  }
  if (error instanceof ConnectionError) {
    context.stderr(`tether: ${oneLine(error.message)}\n`);
    return ExitCode.failed;
  }
  const detail = error instanceof Error ? error.message : String(error);
  context.stderr(`tether: unexpected error: ${oneLine(detail)}\n`);
  if (context.globals().logLevel === "debug" && error instanceof Error && error.stack) {
    context.stderr(error.stack + "\n");
  }
  return ExitCode.failed;
}

/** One line, with control characters from echoed input shown escaped (never sent raw). */
function oneLine(text: string): string {
  return escapeControl(text.replace(/\s*\n\s*/g, " ").trim());
}
