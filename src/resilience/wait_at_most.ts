import { type Clock, systemClock } from "./clock.ts";

/**
 * Waits for `work` or `limitMs`, whichever comes first, and says which; the timer never
 * outlives the wait (a leftover timer would keep a stopping process alive until it fires).
 * `work` is not cancelled when the limit passes; if it rejects first, so does the wait.
 *
 * @example
 * ```ts
 * const closed = await waitAtMost(connection.closed, 2000); // false: gave up after 2 s
 * ```
 */
export async function waitAtMost(
  work: Promise<unknown>,
  limitMs: number,
  clock: Clock = systemClock,
): Promise<boolean> {
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  const limit = new Promise<false>((resolve) => {
    timer = clock.setTimeout(() => resolve(false), Math.max(0, limitMs));
  });
  try {
    return await Promise.race([work.then(() => true), limit]);
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
