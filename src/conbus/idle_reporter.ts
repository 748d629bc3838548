import type { Clock, TimerHandle } from "../resilience/clock.ts";
import type { Incoming } from "./bridge_connection.ts";
import { ReportBudget } from "./report_budget.ts";

/** Options for {@link IdleReporter}. */
export interface IdleReporterOptions {
  /** Clock for the budget window and the summary timer. */
  clock: Clock;
  /** Telegrams reported per second at most; the rest are counted. */
  maxPerSecond: number;
  /** Called for each telegram within the budget. */
  onTelegram?: (incoming: Incoming) => void;
  /** Called a second after a flood began (and on flush) with how many were not reported. */
  onNotShown?: (count: number, atMs: number) => void;
}

/**
 * Reports what `serve` receives while no request runs (bus events while idle): at most
 * `maxPerSecond` telegrams a second; a flood beyond that is counted and summarised once a
 * second. Nothing is queued, so a flood costs no memory.
 *
 * @example
 * ```ts
 * const idle = new IdleReporter({ clock, maxPerSecond: 100, onTelegram: print });
 * connection.listen({ receive: (incoming) => idle.report(incoming) });
 * ```
 */
export class IdleReporter {
  readonly #options: IdleReporterOptions;
  readonly #budget: ReportBudget;
  #seen = 0;
  #notShown = 0;
  #notShownPending = 0;
  #summaryTimer: TimerHandle | null = null;

  constructor(options: IdleReporterOptions) {
    this.#options = options;
    this.#budget = new ReportBudget({ maxPerWindow: options.maxPerSecond, windowMs: 1000 });
  }

  /** Telegrams received while idle. */
  get seen(): number {
    return this.#seen;
  }

  /** Of those, how many were not reported (over the budget). */
  get notShown(): number {
    return this.#notShown;
  }

  /** Reports `incoming` within the budget, else counts it. */
  report(incoming: Incoming): void {
    this.#seen++;
    if (this.#budget.take(incoming.atMs)) {
      this.#options.onTelegram?.(incoming);
      return;
    }
    this.#notShown++;
    this.#notShownPending++;
    this.#summaryTimer ??= this.#options.clock.setTimeout(() => this.flush(), 1000);
  }

  /** Reports the pending not-shown count now (also on stop) and clears the summary timer. */
  flush(): void {
    if (this.#summaryTimer !== null) this.#options.clock.clearTimeout(this.#summaryTimer);
    this.#summaryTimer = null;
    if (this.#notShownPending === 0) return;
    const count = this.#notShownPending;
    this.#notShownPending = 0;
    this.#options.onNotShown?.(count, this.#options.clock.now());
  }
}
