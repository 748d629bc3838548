/**
 * The RFC 1924 base85 alphabet, the one Python's `base64.b85encode` and kitty use (not
 * Ascii85/Adobe: no `z` shortcut, no `<~ ~>`).
 */
export const BASE85_ALPHABET =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

const DECODE_TABLE: ReadonlyMap<string, number> = new Map(
  [...BASE85_ALPHABET].map((char, index) => [char, index]),
);

/**
 * Encodes bytes as RFC 1924 base85: big-endian 4-byte groups to 5 characters; a trailing group of
 * n bytes is zero-padded and emitted as n + 1 characters (byte-for-byte like Python's).
 *
 * @example
 * ```ts
 * encodeBase85(new TextEncoder().encode("abcd")); // "VPa!s"
 * ```
 */
export function encodeBase85(bytes: Uint8Array): string {
  let out = "";
  for (let offset = 0; offset < bytes.length; offset += 4) {
    const groupLength = Math.min(4, bytes.length - offset);
    let value = 0;
    for (let i = 0; i < 4; i++) value = value * 256 + (i < groupLength ? bytes[offset + i]! : 0);
    const chars = new Array<string>(5);
    for (let i = 4; i >= 0; i--) {
      chars[i] = BASE85_ALPHABET[value % 85]!;
      value = Math.floor(value / 85);
    }
    out += chars.slice(0, groupLength + 1).join("");
  }
  return out;
}

/**
 * Decodes RFC 1924 base85; a trailing group of n characters is padded with `~` and yields n - 1
 * bytes. Throws a SyntaxError for a character outside the alphabet, a lone trailing character,
 * or a group that overflows 32 bits.
 *
 * @example
 * ```ts
 * decodeBase85("VE"); // Uint8Array [0x61]
 * ```
 */
export function decodeBase85(text: string): Uint8Array {
  if (text.length % 5 === 1) {
    throw new SyntaxError("base85 text cannot end in a group of one character");
  }
  const out = new Uint8Array(Math.floor(text.length / 5) * 4 + Math.max(0, (text.length % 5) - 1));
  let written = 0;
  for (let offset = 0; offset < text.length; offset += 5) {
    const groupLength = Math.min(5, text.length - offset);
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const char = i < groupLength ? text[offset + i]! : "~";
      const digit = DECODE_TABLE.get(char);
      if (digit === undefined) {
        throw new SyntaxError(`invalid base85 character ${JSON.stringify(char)}`);
      }
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new SyntaxError("base85 group overflows 32 bits");
    for (let i = 0; i < groupLength - 1; i++) {
      out[written++] = Math.floor(value / 2 ** (8 * (3 - i))) % 256;
    }
  }
  return out;
}
