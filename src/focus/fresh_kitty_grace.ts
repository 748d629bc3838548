import type { Clock } from "../resilience/clock.ts";
import type { LocateResult } from "./os_window_locator.ts";

/** How young (ms since the process started) a kitty counts as just opened. */
export const FRESH_KITTY_MS = 10_000;

/**
 * A kitty window takes focus the moment it maps, but kitty 0.26 creates its socket (and spawns
 * the shell whose environment holds its public key) a moment later: a just-opened kitty's
 * `not_configured` grow is tried at these delays after each other (as long as it keeps focus)
 * before it is reported — 6 tries over {@link FRESH_KITTY_GRACE_MS}.
 */
export const FRESH_KITTY_GROW_DELAYS_MS: readonly number[] = Object.freeze([
  0,
  250,
  500,
  1000,
  1500,
  2000,
]);

/** How long a just-opened kitty's missing socket is waited for: the sum of the grow delays (5250). */
export const FRESH_KITTY_GRACE_MS: number = FRESH_KITTY_GROW_DELAYS_MS.reduce((a, b) => a + b, 0);

/**
 * A just-opened kitty without a socket yet is located again every 250 ms over
 * {@link FRESH_KITTY_GRACE_MS} (21 more tries), as long as its window keeps focus.
 */
export const FRESH_KITTY_LOCATE_DELAYS_MS: readonly number[] = Object.freeze(
  Array.from({ length: Math.floor(FRESH_KITTY_GRACE_MS / 250) }, () => 250),
);

/** Whether a kitty that started at `startTimeMs` (null: unknown) counts as just opened. */
export function isFreshKitty(startTimeMs: number | null, nowMs: number): boolean {
  return startTimeMs !== null && nowMs - startTimeMs < FRESH_KITTY_MS;
}

/** Whether `located` is a kitty that has no socket yet — worth asking again if it is fresh. */
export function awaitsSocket(
  located: LocateResult,
): located is LocateResult & { kind: "unknown"; pid: number } {
  return located.kind === "unknown" && located.category === "not_configured" &&
    located.pid !== null;
}

/**
 * Polls on the clock: before each delay of `delaysMs` and again after it, asks `keepGoing` about
 * the last result; while it says yes, waits the delay (0 = no wait) and tries `attempt` again.
 * Resolves to the last result (`initial` when no try was made). No errors are thrown to drive
 * it: a try that should be repeated is simply a result `keepGoing` accepts.
 *
 * @example
 * ```ts
 * const last = await pollOnSchedule([0, 250, 500], clock, null,
 *   (result) => result === null || result.status === "not_configured", () => grow());
 * ```
 */
export async function pollOnSchedule<T, I = T>(
  delaysMs: readonly number[],
  clock: Clock,
  initial: I,
  keepGoing: (last: T | I) => boolean,
  attempt: () => Promise<T>,
): Promise<T | I> {
  let last: T | I = initial;
  for (const delayMs of delaysMs) {
    if (!keepGoing(last)) break;
    if (delayMs > 0) await clock.sleep(delayMs);
    if (!keepGoing(last)) break;
    last = await attempt();
  }
  return last;
}
