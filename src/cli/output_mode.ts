import { ConfigError } from "../platform/config_error.ts";
import type { Environment } from "../platform/paths.ts";
import type { CliContext } from "./context.ts";

/**
 * How a command writes its data on stdout:
 * - `human`: readable text (tables, one line per event);
 * - `json`: one JSON document (one-shot commands);
 * - `json_lines`: one JSON object per line (streams: `focus`, `--watch`, `conbus serve`);
 * - `waybar`: one Waybar custom-module JSON line per change.
 */
export type OutputMode = "human" | "json" | "json_lines" | "waybar";

/** The `--format` values a command may accept. */
export type OutputFormat = "human" | "json" | "waybar";

/** What decides a command's {@link OutputMode}. */
export interface OutputModeInput {
  /** The global `--json` flag. */
  json: boolean;
  /** The command's `--format` flag, if it has one and it was given. */
  format?: OutputFormat;
  /** Whether the command is a stream (prints until stopped) rather than one-shot. */
  stream: boolean;
  /** Whether stdout is a terminal. */
  stdoutIsTty: boolean;
}

/**
 * THE output rule, the same for every command: `--format waybar` → waybar lines; `--json` (or
 * `--format json`) → one JSON document, or JSON lines for a stream; a stream whose stdout is
 * not a terminal → JSON lines (a pipe or the journal gets machine-readable lines); otherwise
 * human-readable text. A one-shot command stays human on a pipe unless asked for JSON.
 *
 * @example
 * ```ts
 * outputMode({ json: false, stream: true, stdoutIsTty: false }); // "json_lines"
 * outputMode({ json: true, stream: false, stdoutIsTty: true }); // "json"
 * ```
 */
function outputMode(input: OutputModeInput): OutputMode {
  if (input.format === "waybar") {
    if (input.json) throw new ConfigError("--json and --format waybar exclude each other");
    return "waybar";
  }
  const json = input.json || input.format === "json";
  if (json) return input.stream ? "json_lines" : "json";
  if (input.format === "human") return "human";
  return input.stream && !input.stdoutIsTty ? "json_lines" : "human";
}

/** Whether a mode prints JSON (a document or lines). */
export function isJsonMode(mode: OutputMode): boolean {
  return mode === "json" || mode === "json_lines";
}

/** What a terminal may be sent: colours and cursor movement. */
export interface TerminalStyle {
  /** SGR colours. */
  colour: boolean;
  /** Cursor movement and erasing (in-place redraws). */
  cursor: boolean;
}

/**
 * What human output may send to stdout: nothing but plain text unless stdout is a terminal
 * whose `$TERM` is set and not `dumb`, and `NO_COLOR` is unset or empty (no-color.org). Plain
 * output never moves the cursor either, so it is safe in a log, `script` or an Emacs shell.
 *
 * @example
 * ```ts
 * terminalStyle({ TERM: "dumb" }, true); // { colour: false, cursor: false }
 * ```
 */
export function terminalStyle(env: Environment, stdoutIsTty: boolean): TerminalStyle {
  const term = env.TERM ?? "";
  const capable = stdoutIsTty && term !== "" && term !== "dumb";
  const colour = capable && !env.NO_COLOR;
  return { colour, cursor: colour };
}

/**
 * {@link outputMode} for a command run in `context` (its global `--json` and its stdout).
 *
 * @example
 * ```ts
 * if (modeFor(context, { stream: false }) === "json") context.stdout(JSON.stringify(report) + "\n");
 * ```
 */
export function modeFor(
  context: Pick<CliContext, "globals" | "stdoutIsTty">,
  command: { stream: boolean; format?: OutputFormat },
): OutputMode {
  return outputMode({
    json: context.globals().json,
    format: command.format,
    stream: command.stream,
    stdoutIsTty: context.stdoutIsTty,
  });
}
