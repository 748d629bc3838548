/**
 * At most `maxPerWindow` items per window of `windowMs` (a window starts with the first item
 * after the previous one ended); the caller counts and summarises the rest. Nothing is queued:
 * `serve` reports bus telegrams that arrive while idle through it, so a flooding bus (an XP33LR
 * reply storm, conbus.md §2.6) costs neither memory nor an unbounded stdout backlog. Pure: times
 * are passed in.
 *
 * @example
 * ```ts
 * const budget = new ReportBudget({ maxPerWindow: 2, windowMs: 1000 });
 * [budget.take(0), budget.take(10), budget.take(20), budget.take(1000)]; // [true, true, false, true]
 * ```
 */
export class ReportBudget {
  /** Items reported per window at most. */
  readonly maxPerWindow: number;
  /** Window length. */
  readonly windowMs: number;
  #windowStartMs = Number.NEGATIVE_INFINITY;
  #used = 0;

  constructor(options: { maxPerWindow: number; windowMs: number }) {
    this.maxPerWindow = options.maxPerWindow;
    this.windowMs = options.windowMs;
  }

  /** Whether an item at `nowMs` may be reported (it then counts against the window). */
  take(nowMs: number): boolean {
    if (nowMs - this.#windowStartMs >= this.windowMs) {
      this.#windowStartMs = nowMs;
      this.#used = 0;
    }
    if (this.#used >= this.maxPerWindow) return false;
    this.#used++;
    return true;
  }
}
