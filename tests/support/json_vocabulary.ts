/**
 * tether's JSON vocabulary (README "JSON vocabulary") as a checker: every command's JSON is
 * run through {@link vocabularyProblems} by tests/cli/json_vocabulary_test.ts.
 */
import { isErrorCategory } from "../../src/resilience/errors.ts";

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
/** ISO 8601 with a numeric UTC offset, milliseconds optional. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?[+-]\d\d:\d\d$/;
const LOOKS_LIKE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d/;
const SOCKET_LIKE = /^\/.*(\.sock|\/ipc-socket\.\d+|\/log-stream-socket\.\d+)$/;
/** Names the vocabulary replaced; they must not come back. */
const RETIRED = new Set([
  "time",
  "path",
  "detail",
  "last_validated",
  "since",
  "last_activity",
  "last_ping",
  "category",
  "windowId",
  "appId",
]);
/** Keys holding whole numbers. */
const COUNTS = new Set([
  "attempt",
  "attempts",
  "count",
  "writes",
  "pid",
  "failures",
  "connects",
  "reuses",
  "retries",
  "reconnections",
  "dropped_events",
  "requests_served",
  "queue_length",
  "idle_telegrams",
  "idle_telegrams_not_shown",
]);
/** Free text: may mention paths and times. */
const PROSE = new Set(["message", "reason", "tooltip", "text", "pooling", "note", "frame"]);

/**
 * Every way `value` breaks the vocabulary, as `where: what` lines (empty when it conforms):
 * snake_case keys; `ts` and `*_at` are ISO 8601 with offset, and no other key holds a time;
 * `socket_path` for sockets; `error`, `*_error` are null or `{category, message}` and `errors`
 * hold such objects; `*_ms` are numbers rounded to 0.01; counts are integers; `max_attempts`
 * is null (unlimited) or at least 1; no retired name (`time`, `path`, `detail`, …).
 *
 * @example
 * ```ts
 * vocabularyProblems({ time: "2026-01-01T00:00:00Z" }); // ["$.time: retired name …", …]
 * ```
 */
export function vocabularyProblems(value: unknown, where = "$"): string[] {
  const problems: string[] = [];
  walk(value, where, null, problems);
  return problems;
}

function walk(value: unknown, where: string, key: string | null, problems: string[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const at = `${where}[${index}]`;
      if (key === "errors") checkError(item, at, problems, false);
      else walk(item, at, null, problems);
    });
    return;
  }
  if (typeof value !== "object" || value === null) return;
  for (const [name, child] of Object.entries(value as Record<string, unknown>)) {
    const at = `${where}.${name}`;
    if (!SNAKE.test(name)) problems.push(`${at}: not snake_case`);
    if (RETIRED.has(name)) problems.push(`${at}: retired name (see README "JSON vocabulary")`);
    checkValue(name, child, at, problems);
    if (name === "error" || name.endsWith("_error")) checkError(child, at, problems, true);
    else walk(child, at, name, problems);
  }
}

function checkValue(name: string, value: unknown, at: string, problems: string[]): void {
  if (name === "ts" || name.endsWith("_at")) {
    const nullable = name !== "ts";
    if (!(nullable && value === null) && !(typeof value === "string" && TIMESTAMP.test(value))) {
      problems.push(`${at}: a time must be ISO 8601 with offset, got ${JSON.stringify(value)}`);
    }
    return;
  }
  if (typeof value === "string" && !PROSE.has(name)) {
    if (LOOKS_LIKE_TIME.test(value)) {
      problems.push(`${at}: a time outside ts / *_at (${value})`);
    }
    if (SOCKET_LIKE.test(value) && name !== "socket_path" && !name.endsWith("_socket_path")) {
      problems.push(`${at}: a socket path outside socket_path (${value})`);
    }
  }
  if (name.endsWith("_ms")) {
    if (value !== null && !(typeof value === "number" && isRoundedMs(value))) {
      problems.push(`${at}: a duration must be ms rounded to 0.01, got ${value}`);
    }
  }
  if (/_(s|sec|secs|seconds)$/.test(name)) problems.push(`${at}: durations are *_ms`);
  if (COUNTS.has(name) || name.endsWith("_count") || name.endsWith("_pid")) {
    if (value !== null && !Number.isInteger(value)) {
      problems.push(`${at}: a count must be an integer, got ${JSON.stringify(value)}`);
    }
  }
  if (
    name === "max_attempts" && value !== null && !(Number.isInteger(value) && Number(value) >= 1)
  ) {
    problems.push(`${at}: unlimited is null, got ${JSON.stringify(value)}`);
  }
}

function checkError(value: unknown, at: string, problems: string[], nullable: boolean): void {
  if (value === null && nullable) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${at}: a problem must be {category, message}, got ${JSON.stringify(value)}`);
    return;
  }
  const record = value as Record<string, unknown>;
  if (!isErrorCategory(record.category)) {
    problems.push(`${at}.category: not an error category: ${JSON.stringify(record.category)}`);
  }
  if (typeof record.message !== "string" || record.message === "") {
    problems.push(`${at}.message: missing`);
  }
  for (const [name, child] of Object.entries(record)) {
    if (name === "category" || name === "message") continue;
    if (!SNAKE.test(name)) problems.push(`${at}.${name}: not snake_case`);
    checkValue(name, child, `${at}.${name}`, problems);
  }
}

function isRoundedMs(value: number): boolean {
  return value >= 0 && Math.abs(Math.round(value * 100) - value * 100) < 1e-6;
}
