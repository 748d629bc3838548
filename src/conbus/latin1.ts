/**
 * Converts bytes to a string with one character per byte (code points 0–255): true ISO-8859-1.
 * `new TextDecoder("latin1")` is windows-1252 (0x80–0x9F map elsewhere), so it is never used.
 *
 * @example
 * ```ts
 * latin1Decode(new Uint8Array([0x2b, 0xa7])); // "+§"
 * ```
 */
export function latin1Decode(bytes: Uint8Array): string {
  if (bytes.length <= 64) {
    // Telegrams are short: a plain loop beats spreading a subarray into arguments.
    let short = "";
    for (let index = 0; index < bytes.length; index++) short += String.fromCharCode(bytes[index]!);
    return short;
  }
  let text = "";
  // Chunked so a large buffer never exceeds the argument limit of String.fromCharCode.
  for (let start = 0; start < bytes.length; start += 4096) {
    text += String.fromCharCode(...bytes.subarray(start, start + 4096));
  }
  return text;
}

/**
 * Converts a string whose characters are all in U+0000–U+00FF to bytes, one byte per character.
 * Returns null when a character does not fit in one byte (it cannot go on the wire).
 *
 * @example
 * ```ts
 * latin1Encode("+26,0§C"); // Uint8Array [0x2b, 0x32, 0x36, 0x2c, 0x30, 0xa7, 0x43]
 * ```
 */
export function latin1Encode(text: string): Uint8Array | null {
  const bytes = new Uint8Array(text.length);
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0xff) return null;
    bytes[index] = code;
  }
  return bytes;
}
