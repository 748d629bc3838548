import type { Clock, TimerOptions } from "./clock.ts";

/**
 * Runs `tick` every `intervalMs` on `clock` (each tick scheduled when the previous one ran, so
 * a slow tick delays the next instead of piling them up) until the returned function is called.
 * With `unref`, the timer never keeps the process alive.
 *
 * @example
 * ```ts
 * const stop = repeatEvery(systemClock, 2000, () => releaser.check(), { unref: true });
 * stop();
 * ```
 */
export function repeatEvery(
  clock: Clock,
  intervalMs: number,
  tick: () => void,
  options: TimerOptions = {},
): () => void {
  let stopped = false;
  let handle = clock.setTimeout(
    function run() {
      if (stopped) return;
      tick();
      if (!stopped) handle = clock.setTimeout(run, intervalMs, options);
    },
    intervalMs,
    options,
  );
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
