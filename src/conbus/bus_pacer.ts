/**
 * Keeps a minimum gap between two telegram writes on the bus. The gap belongs to the bus, not
 * to a TCP connection: the first telegram on a new connection (after a reconnect, a lifetime
 * replacement, or a read retried on a fresh connection) still waits for the gap since the last
 * telegram on the old one. Pure: times are passed in.
 *
 * @example
 * ```ts
 * const pacer = new BusPacer(50);
 * pacer.wrote(1000);
 * pacer.waitMs(1020); // 30
 * ```
 */
export class BusPacer {
  /** Minimum time between two writes; 0 = no gap (several telegrams may share one write). */
  readonly minGapMs: number;
  #lastWriteAtMs: number | null = null;

  constructor(minGapMs: number) {
    this.minGapMs = Math.max(0, minGapMs);
  }

  /** Clock ms of the last write on the bus, or null before any. */
  get lastWriteAtMs(): number | null {
    return this.#lastWriteAtMs;
  }

  /** How long to wait at `nowMs` before the next write (0 = write now). */
  waitMs(nowMs: number): number {
    if (this.#lastWriteAtMs === null || this.minGapMs === 0) return 0;
    return Math.max(0, this.#lastWriteAtMs + this.minGapMs - nowMs);
  }

  /** Records a write at `atMs`. */
  wrote(atMs: number): void {
    this.#lastWriteAtMs = atMs;
  }
}
