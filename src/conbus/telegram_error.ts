/**
 * A telegram that cannot be built or parsed, with a message saying what is wrong
 * ("checksum FA expected, got FM", "serial must be 10 digits, got \"12345\"").
 *
 * @example
 * ```ts
 * throw new TelegramError("checksum FA expected, got FM", "<S0000000000F01D00FM>");
 * ```
 */
export class TelegramError extends Error {
  override name = "TelegramError";
  /** The offending text (a frame or a body), for reports. */
  readonly input: string;

  constructor(message: string, input: string) {
    super(message);
    this.input = input;
  }
}
