import { type Clock, systemClock } from "../resilience/clock.ts";
import { waitAtMost } from "../resilience/deadline.ts";

/** One step of a bounded shutdown, e.g. "close the control socket". */
export interface ShutdownStep {
  /** Named in the problem report. */
  name: string;
  /** Does the step; gets the time left before the deadline, in milliseconds. */
  run(remainingMs: number): Promise<void>;
}

/**
 * Runs shutdown steps in order against one deadline, `budgetMs` from now, and returns by then
 * whatever the steps do: a step still running at the deadline is left behind (the process is
 * about to exit) and the next step starts with 0 ms left, so every step at least begins (a
 * control socket still gets unlinked). A step that throws does not stop the others. Returns one
 * line per step that overran or failed, for the log.
 *
 * @example
 * ```ts
 * const problems = await shutDownWithin(1500, [
 *   { name: "compositor connection", run: () => source.close() },
 *   { name: "control socket", run: () => control.close() },
 * ]);
 * for (const problem of problems) logger.warn(problem);
 * ```
 */
export async function shutDownWithin(
  budgetMs: number,
  steps: readonly ShutdownStep[],
  clock: Clock = systemClock,
): Promise<string[]> {
  const deadline = clock.now() + budgetMs;
  const problems: string[] = [];
  for (const step of steps) {
    const remainingMs = Math.max(0, deadline - clock.now());
    const outcome = Promise.resolve()
      .then(() => step.run(remainingMs))
      .catch((error: unknown) => {
        problems.push(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
      });
    if (!(await waitAtMost(outcome, remainingMs, clock))) {
      problems.push(`${step.name}: still running at the deadline`);
    }
  }
  return problems;
}
