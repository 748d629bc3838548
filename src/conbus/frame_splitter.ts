const OPEN = 0x3c; // <
const CLOSE = 0x3e; // >

/** Default longest frame kept (bytes): real telegrams are under 100 bytes. */
const DEFAULT_MAX_FRAME_BYTES = 4096;

/**
 * Splits a TCP byte stream into `<…>` frames. Handles several frames per read, a frame split
 * across reads and junk between frames (e.g. the `\n` an emulator adds). Memory is bounded: the
 * only state is one partial frame of at most `maxFrameBytes`; a longer one is dropped as junk.
 * A `<` inside an open frame restarts the frame there (the bytes before it are junk). Never
 * throws, whatever the input.
 *
 * @example
 * ```ts
 * const splitter = new FrameSplitter();
 * splitter.push(bytes("<E14L00I02MAK>\n<R00200")); // [bytes of "<E14L00I02MAK>"]
 * splitter.push(bytes("44964F18DFA>"));            // [bytes of "<R0020044964F18DFA>"]
 * ```
 */
export class FrameSplitter {
  readonly #partial: Uint8Array;
  #partialLength = 0;
  #inFrame = false;
  #discardedBytes = 0;

  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.#partial = new Uint8Array(Math.max(4, maxFrameBytes));
  }

  /** Bytes skipped so far: junk between frames, restarted and over-long frames. */
  get discardedBytes(): number {
    return this.#discardedBytes;
  }

  /** Bytes currently held for an incomplete frame (never more than `maxFrameBytes`). */
  get bufferedBytes(): number {
    return this.#partialLength;
  }

  /** Feeds one chunk; returns the frames it completed, each a fresh copy including `<` and `>`. */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let position = 0;
    while (position < chunk.length) {
      if (!this.#inFrame) {
        const open = chunk.indexOf(OPEN, position);
        if (open < 0) {
          this.#discardedBytes += chunk.length - position;
          break;
        }
        this.#discardedBytes += open - position;
        this.#inFrame = true;
        this.#partialLength = 0;
        this.#append(chunk.subarray(open, open + 1));
        position = open + 1;
        continue;
      }
      const close = chunk.indexOf(CLOSE, position);
      const reopen = chunk.indexOf(OPEN, position);
      if (reopen >= 0 && (close < 0 || reopen < close)) {
        this.#append(chunk.subarray(position, reopen));
        this.#abandonFrame();
        position = reopen;
        continue;
      }
      const end = close < 0 ? chunk.length : close + 1;
      this.#append(chunk.subarray(position, end));
      position = end;
      if (close >= 0 && this.#inFrame) {
        frames.push(this.#partial.slice(0, this.#partialLength));
        this.#inFrame = false;
        this.#partialLength = 0;
      }
    }
    return frames;
  }

  #append(bytes: Uint8Array): void {
    if (!this.#inFrame) {
      this.#discardedBytes += bytes.length;
      return;
    }
    if (this.#partialLength + bytes.length > this.#partial.length) {
      this.#discardedBytes += bytes.length;
      this.#abandonFrame();
      return;
    }
    this.#partial.set(bytes, this.#partialLength);
    this.#partialLength += bytes.length;
  }

  #abandonFrame(): void {
    this.#discardedBytes += this.#partialLength;
    this.#partialLength = 0;
    this.#inFrame = false;
  }
}
