import { createLogger, type Logger, type LogLevel } from "../platform/logger.ts";
import type { Environment } from "../platform/paths.ts";
import type { ExitCodeValue } from "./exit_codes.ts";

/** Options every subcommand accepts (declared on the root program). */
export interface GlobalOptions {
  /**
   * Emit machine-readable JSON on stdout instead of human text (`--json`).
   *
   * @default {false}
   */
  json: boolean;
  /**
   * Lowest log level written to stderr (`--log-level`, else `$TETHER_LOG`).
   *
   * @default {"warn"}
   */
  logLevel: LogLevel;
}

/**
 * What a subcommand needs from the outside world. Tests build one with captured streams;
 * `main.ts` builds the real one.
 */
export interface CliContext {
  /** Environment variables. */
  env: Environment;
  /** Writes data (a line, a table, a JSON document) to stdout; no newline is added. */
  stdout: (text: string) => void;
  /** Writes to stderr; no newline is added. Prefer `logger()` for log lines. */
  stderr: (text: string) => void;
  /** Whether stdout is a terminal (live status lines, colours). */
  stdoutIsTty: boolean;
  /** The terminal's size when stdout is a terminal (null or absent otherwise). */
  terminalSize?: () => TerminalSize | null;
  /**
   * Calls `listener` whenever the terminal is resized (SIGWINCH); returns the unsubscribe
   * function. Absent when there is no terminal to watch.
   */
  onTerminalResize?: (listener: () => void) => () => void;
  /** The global options as parsed; valid once a subcommand's action runs. */
  globals(): GlobalOptions;
  /** The logger configured from the global options. */
  logger(): Logger;
  /** Records the exit code the process ends with once the action returns. */
  setExitCode(code: ExitCodeValue): void;
  /** Aborted on SIGINT/SIGTERM: long-running subcommands stop cleanly when it fires. */
  shutdownSignal: AbortSignal;
}

/**
 * The parts of a {@link CliContext} that the process supplies; the rest is derived from them.
 * Without `stdoutIsTty`, fd 1 is asked once a command runs (never for `--version`: loading
 * node:tty is a measurable part of its start-up).
 */
export type CliIo =
  & Omit<CliContext, "globals" | "logger" | "setExitCode" | "stdoutIsTty">
  & Partial<Pick<CliContext, "stdoutIsTty">>;

/** A terminal's size in character cells. */
export interface TerminalSize {
  /** Width in cells (`columns` of `stty size`); always at least 1. */
  columns: number;
  /** Height in cells; always at least 1. */
  rows: number;
}

/** Builds the logger for a context's globals (used by {@link CliContext.logger} implementations). */
export function loggerFor(
  globals: GlobalOptions,
  context: Pick<CliContext, "env" | "stderr">,
): Logger {
  return createLogger({
    level: globals.logLevel,
    journal: Boolean(context.env.JOURNAL_STREAM),
    write: (line) => context.stderr(line + "\n"),
  });
}
