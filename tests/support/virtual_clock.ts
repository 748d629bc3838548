import { setImmediate } from "node:timers";
import {
  type Clock,
  sleepOn,
  type TimerHandle,
  type TimerOptions,
} from "../../src/resilience/clock.ts";

interface VirtualTimer {
  id: number;
  at: number;
  callback: () => void;
  unref: boolean;
}

/** A pending timer as tests see it. */
export interface PendingTimer {
  /** Virtual time it fires at. */
  at: number;
  /** Whether it was created unref'd (background work). */
  unref: boolean;
}

/**
 * Settles every pending promise reaction: one macrotask turn drains the whole microtask queue,
 * including chains that microtasks schedule.
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A {@link Clock} whose time moves only when a test says so. `advance(ms)` runs due timers one by
 * one in time order (ties in creation order), moving `now()` to each timer's time and settling
 * microtasks after each, so code that awaits, then sets the next timer, sees exactly the times
 * production would. No real waiting.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * const slept = clock.sleep(100);
 * await clock.advance(100);
 * await slept;
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: VirtualTimer[] = [];

  /** Starts at `startMs` (default 2026-01-01T00:00:00Z so ISO output is readable). */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  /** Current virtual time. */
  now(): number {
    return this.#now;
  }

  /** Registers a virtual timer. */
  setTimeout(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle {
    const timer: VirtualTimer = {
      id: this.#nextId++,
      at: this.#now + Math.max(0, delayMs),
      callback,
      unref: options?.unref ?? false,
    };
    this.#timers.push(timer);
    return timer.id as unknown as TimerHandle;
  }

  /** Removes a virtual timer. */
  clearTimeout(handle: TimerHandle): void {
    const id = handle as unknown as number;
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  /** Virtual sleep, abortable. */
  sleep(delayMs: number, signal?: AbortSignal, options?: TimerOptions): Promise<void> {
    return sleepOn(this, delayMs, signal, options);
  }

  /** Moves time forward by `ms`, running every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.at > target) break;
      this.#timers = this.#timers.filter((timer) => timer !== next);
      this.#now = next.at;
      next.callback();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Advances exactly to the earliest pending timer and runs it (and any due at the same time). */
  async runNext(): Promise<void> {
    const next = this.#earliest();
    if (next === undefined) throw new Error("VirtualClock.runNext: no pending timer");
    await this.advance(next.at - this.#now);
  }

  /** Pending timers, earliest first. */
  pending(): PendingTimer[] {
    return [...this.#timers]
      .sort((a, b) => a.at - b.at || a.id - b.id)
      .map(({ at, unref }) => ({ at, unref }));
  }

  #earliest(): VirtualTimer | undefined {
    let earliest: VirtualTimer | undefined;
    for (const timer of this.#timers) {
      if (earliest === undefined || timer.at < earliest.at) earliest = timer;
    }
    return earliest;
  }
}
