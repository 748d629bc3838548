/**
 * Points in time and durations as tether prints them: JSON carries ISO 8601 local time with
 * its UTC offset (`2026-12-04T15:16:33.120+01:00`) and durations in ms rounded to 0.01; human
 * text carries local clock times.
 */

/**
 * ISO 8601 in local time with the numeric UTC offset (never a bare `Z`), milliseconds kept.
 *
 * @example
 * ```ts
 * isoTimestamp(Date.UTC(2026, 11, 4, 14, 16, 33, 120)); // "2026-12-04T15:16:33.120+01:00" in Europe/Amsterdam
 * ```
 */
export function isoTimestamp(at: number | Date): string {
  const date = typeof at === "number" ? new Date(at) : at;
  const offsetMin = -date.getTimezoneOffset();
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T` +
    `${localClockTime(date)}.${String(date.getMilliseconds()).padStart(3, "0")}` +
    `${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}

/**
 * The local wall-clock time `HH:MM:SS` (human output: the time a reader's clock shows).
 *
 * @example
 * ```ts
 * localClockTime(new Date()); // "15:16:33"
 * ```
 */
export function localClockTime(at: number | Date): string {
  const date = typeof at === "number" ? new Date(at) : at;
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * A duration in ms as JSON carries it: rounded to 0.01 ms.
 *
 * @example
 * ```ts
 * roundMs(3801.665283203125); // 3801.67
 * ```
 */
export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * A duration for people, short and rounded: `0.42 ms`, `12 ms`, `3.8 s`, `2 min 5 s`.
 *
 * @example
 * ```ts
 * humanDuration(3801.665283203125); // "3.8 s"
 * ```
 */
export function humanDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")} s`;
  const totalS = Math.round(ms / 1000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)} min ${totalS % 60} s`;
  return `${Math.floor(totalS / 3600)} h ${Math.floor((totalS % 3600) / 60)} min`;
}

function two(value: number): string {
  return String(value).padStart(2, "0");
}
