/** A check's verdict: fine, worth a look, broken, or not applicable here. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

/** One line of `tether doctor`: what was checked, what was found, and how to fix it. */
export interface CheckResult {
  /** Which check (`runtime_dir`, `compositor`, `kitty_config`, `kitty`, `systemd`, …). */
  check: string;
  /** The verdict. */
  status: CheckStatus;
  /** What was found, one line. Never a secret (the kitty password is never read into it). */
  message: string;
  /** What to do about a `warn` or `fail`, or null. */
  fix: string | null;
}

/**
 * The overall verdict: `fail` if any check failed, else `warn` if any warned, else `ok`.
 *
 * @example
 * ```ts
 * overallStatus([{ check: "x", status: "warn", message: "", fix: null }]); // "warn"
 * ```
 */
export function overallStatus(results: readonly CheckResult[]): "ok" | "warn" | "fail" {
  if (results.some((result) => result.status === "fail")) return "fail";
  if (results.some((result) => result.status === "warn")) return "warn";
  return "ok";
}

/** Builds a result; `fix` only for warn and fail. */
export function result(
  check: string,
  status: CheckStatus,
  message: string,
  fix: string | null = null,
): CheckResult {
  return { check, status, message, fix: status === "ok" || status === "skip" ? null : fix };
}
