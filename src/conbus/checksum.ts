const LETTER_A = 0x41;

/**
 * The Conbus checksum of a telegram body: the XOR of its raw bytes, rendered as two letters
 * `A`–`P` (high nibble first). Computed on bytes — a reply may hold 0xA7 (`§`), whose UTF-8
 * form would give a different result.
 *
 * @example
 * ```ts
 * checksumOf(latin1Encode("S0000000000F01D00")!); // "FA"
 * ```
 */
export function checksumOf(body: Uint8Array): string {
  let xor = 0;
  for (const byte of body) xor ^= byte;
  return String.fromCharCode(LETTER_A + (xor >> 4), LETTER_A + (xor & 0x0f));
}

/** Whether two characters form a well-formed checksum (two letters `A`–`P`). */
export function isChecksumText(text: string): boolean {
  return /^[A-P]{2}$/.test(text);
}
