/**
 * Decides which connection status lines a daemon logs while a peer keeps dropping the
 * connection right after accepting it (a bridge that half-closes: connect, close, reconnect,
 * ~1.5 times a second forever, two lines each time). A connection that lasted less than
 * `stableMs` makes the next cycle a flap; of a run of flaps only cycles 1, 2, 4, 8, … are
 * logged (one line per doubling, like a backoff step), each saying how many there were. A
 * connection that stays up `stableMs` ends the run. Pure: the caller passes the time.
 *
 * @example
 * ```ts
 * const throttle = new FlapLogThrottle({ stableMs: 10_000 });
 * throttle.connected(clock.now());
 * const verdict = throttle.lost(clock.now()); // { log: true, note: "" } the first time
 * ```
 */
export class FlapLogThrottle {
  readonly #stableMs: number;
  #connectedAtMs: number | null = null;
  #flaps = 0;

  /** `stableMs`: how long a connection must last to end a run of flaps. */
  constructor(options: { stableMs: number }) {
    this.#stableMs = options.stableMs;
  }

  /** The connection came up at `nowMs`: log it unless it is part of a run of flaps. */
  connected(nowMs: number): { log: boolean } {
    this.#connectedAtMs = nowMs;
    return { log: this.#flaps === 0 || isPowerOfTwo(this.#flaps) };
  }

  /**
   * The connection went down at `nowMs`. Returns whether to log it and a note for the line
   * (empty, or "(N short-lived connections in a row; logging every doubling)").
   */
  lost(nowMs: number): { log: boolean; note: string } {
    const lastedMs = this.#connectedAtMs === null ? Infinity : nowMs - this.#connectedAtMs;
    this.#connectedAtMs = null;
    if (lastedMs >= this.#stableMs) {
      this.#flaps = 0;
      return { log: true, note: "" };
    }
    this.#flaps++;
    return {
      log: isPowerOfTwo(this.#flaps),
      note: `(${this.#flaps} short-lived connection${
        this.#flaps === 1 ? "" : "s"
      } in a row; logging every doubling)`,
    };
  }
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && (value & (value - 1)) === 0;
}
