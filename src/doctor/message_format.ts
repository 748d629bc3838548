import { roundMs } from "../platform/time_format.ts";

/**
 * Permission bits as `chmod` takes them, sticky bit included: `0700`, `1777`.
 *
 * @example
 * ```ts
 * octalMode(0o40700); // "0700"
 * ```
 */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/**
 * A latency in a doctor line: ms rounded to 0.01, or `–` when nothing was measured.
 *
 * @example
 * ```ts
 * formatMs(0.4567); // "0.46 ms"
 * ```
 */
export function formatMs(ms: number | null): string {
  return ms === null ? "–" : `${roundMs(ms)} ms`;
}
