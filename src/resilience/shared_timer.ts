import type { Clock, TimerHandle } from "./clock.ts";

interface Scheduled {
  readonly atMs: number;
  readonly callback: () => void;
}

/**
 * Many one-shot callbacks on one clock timer, armed lazily: scheduling a callback later than the
 * armed time and cancelling one cost no timer operation; the armed timer fires, runs what is due
 * and re-arms for the earliest callback left. For request deadlines that are almost always
 * cancelled long before they pass (a 2 s deadline on a 50 µs round trip): on Deno a
 * `setTimeout`/`clearTimeout` pair per request costs ~15–20 µs of event-loop work, more than the
 * rest of a pooled Conbus read.
 *
 * A callback runs when the timer armed for it fires (never earlier than a clock timer set for
 * the same time would), callbacks due at the same time in scheduling order. The armed timer is
 * ref'd like a plain `setTimeout`; {@link SharedTimer.dispose} clears it.
 *
 * @example
 * ```ts
 * const timers = new SharedTimer(systemClock);
 * const cancel = timers.schedule(() => console.log("deadline"), 2000);
 * cancel(); // no clearTimeout: the armed timer finds nothing due when it fires
 * ```
 */
export class SharedTimer {
  /** The clock the timer runs on. */
  readonly clock: Clock;
  readonly #scheduled = new Set<Scheduled>();
  #handle: TimerHandle | null = null;
  #armedAtMs: number | null = null;
  #firing = false;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Callbacks scheduled and not yet run or cancelled. */
  get size(): number {
    return this.#scheduled.size;
  }

  /** Runs `callback` once after `delayMs` (negative = 0); the returned function cancels it. */
  schedule(callback: () => void, delayMs: number): () => void {
    return this.scheduleAt(callback, this.clock.now() + Math.max(0, delayMs));
  }

  /**
   * Runs `callback` once at clock time `atMs` (at once, on the next timer turn, if it has
   * passed); the returned function cancels it. Saves a clock read when the caller knows the time.
   */
  scheduleAt(callback: () => void, atMs: number): () => void {
    const entry: Scheduled = { atMs, callback };
    this.#scheduled.add(entry);
    if (!this.#firing && (this.#armedAtMs === null || entry.atMs < this.#armedAtMs)) {
      this.#arm(entry.atMs);
    }
    return () => {
      this.#scheduled.delete(entry);
    };
  }

  /** Cancels every callback and clears the armed timer (the owner is closing). */
  dispose(): void {
    this.#scheduled.clear();
    if (this.#handle !== null) this.clock.clearTimeout(this.#handle);
    this.#handle = null;
    this.#armedAtMs = null;
  }

  #arm(atMs: number): void {
    if (this.#handle !== null) this.clock.clearTimeout(this.#handle);
    this.#armedAtMs = atMs;
    this.#handle = this.clock.setTimeout(() => this.#fire(atMs), atMs - this.clock.now());
  }

  #fire(armedAtMs: number): void {
    this.#handle = null;
    this.#armedAtMs = null;
    // Everything the fired timer was armed for is due, even if the clock reads a fraction of a
    // millisecond earlier (timers round delays): a plain setTimeout would have fired it too.
    const dueBy = Math.max(armedAtMs, this.clock.now());
    const due = [...this.#scheduled].filter((entry) => entry.atMs <= dueBy);
    this.#firing = true;
    try {
      for (const entry of due) {
        // An earlier callback may have cancelled this one.
        if (this.#scheduled.delete(entry)) entry.callback();
      }
    } finally {
      this.#firing = false;
      let earliest: number | null = null;
      for (const entry of this.#scheduled) {
        if (earliest === null || entry.atMs < earliest) earliest = entry.atMs;
      }
      if (earliest !== null) this.#arm(earliest);
    }
  }
}
