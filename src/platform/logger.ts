import { escapeControl } from "./escape_control.ts";

/** Log severities, most verbose first; `silent` turns logging off. */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** Every accepted `--log-level` / `TETHER_LOG` value, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

/** syslog priorities that systemd-journald reads from a `<N>` line prefix (sd-daemon(3)). */
const JOURNAL_PRIORITY: Record<Exclude<LogLevel, "silent">, number> = {
  error: 3,
  warn: 4,
  info: 6,
  debug: 7,
};

/** A leveled logger writing one line per message to stderr. */
export interface Logger {
  /** Diagnostic detail, shown with `--log-level debug`. */
  debug(message: string): void;
  /** Normal operations worth a line (a removal, a reconnect). */
  info(message: string): void;
  /** Something is wrong but tether carries on. */
  warn(message: string): void;
  /** An operation failed. */
  error(message: string): void;
  /** Registers a secret: from now on it is replaced by `***` in every line this logger writes. */
  redact(secret: string): void;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written. Default `warn`: tether is quiet unless something is wrong. */
  level?: LogLevel;
  /** Prefix each line with a `<N>` journal priority. Default: whether `JOURNAL_STREAM` is set. */
  journal?: boolean;
  /** Where lines go. Default: stderr. */
  write?: (line: string) => void;
}

/**
 * Creates a logger. Under systemd (`JOURNAL_STREAM` set) lines carry `<N>` priority prefixes
 * so journald files them at the right severity; otherwise they carry the level name.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info" });
 * log.info("removed stale socket /run/user/1000/sway-ipc.1000.42.sock");
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "warn");
  const journal = options.journal ?? Boolean(process.env.JOURNAL_STREAM);
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const secrets: string[] = [];
  const emit = (level: Exclude<LogLevel, "silent">, message: string) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    // One line, and no terminal escapes from echoed input (TETHER_LOG, names, bridge bytes).
    let text = escapeControl(message.replace(/\r?\n/g, " "));
    for (const secret of secrets) text = text.split(secret).join("***");
    write(journal ? `<${JOURNAL_PRIORITY[level]}>${text}` : `tether: ${level}: ${text}`);
  };
  return {
    debug: (message) => emit("debug", message),
    info: (message) => emit("info", message),
    warn: (message) => emit("warn", message),
    error: (message) => emit("error", message),
    redact: (secret) => {
      if (secret.length > 0) secrets.push(secret);
    },
  };
}

/** Parses a log level name (case-insensitive); returns null when it is not one. */
export function parseLogLevel(value: string): LogLevel | null {
  const level = value.toLowerCase() as LogLevel;
  return LOG_LEVELS.includes(level) ? level : null;
}
