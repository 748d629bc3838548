import assert from "node:assert/strict";
import { BASE85_ALPHABET, decodeBase85, encodeBase85 } from "../../src/kitty/base85.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

// Vectors from Python's base64.b85encode (the encoder kitty uses).
const VECTORS: [Uint8Array, string][] = [
  [ascii(""), ""],
  [ascii("a"), "VE"],
  [ascii("abcd"), "VPa!s"],
  [ascii("abcde"), "VPa!sWd"],
  [new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00]), "|NsC000"],
  [new Uint8Array([0, 0, 0, 0]), "00000"],
];

Deno.test("encodeBase85 matches Python's b85encode", () => {
  for (const [bytes, text] of VECTORS) assert.equal(encodeBase85(bytes), text);
});

Deno.test("decodeBase85 matches Python's b85decode", () => {
  for (const [bytes, text] of VECTORS) assert.deepEqual(decodeBase85(text), bytes);
});

Deno.test("base85 round-trips every length up to 40 bytes", () => {
  for (let length = 0; length <= 40; length++) {
    const bytes = crypto.getRandomValues(new Uint8Array(length));
    const text = encodeBase85(bytes);
    assert.equal(
      text.length,
      Math.ceil(length / 4) * 5 - (length % 4 === 0 ? 0 : 4 - (length % 4)),
    );
    assert.deepEqual(decodeBase85(text), bytes);
  }
});

Deno.test("encodeBase85 uses only the RFC 1924 alphabet", () => {
  const text = encodeBase85(crypto.getRandomValues(new Uint8Array(400)));
  for (const char of text) assert.ok(BASE85_ALPHABET.includes(char), char);
});

Deno.test("decodeBase85 rejects characters outside the alphabet and lone trailing characters", () => {
  assert.throws(() => decodeBase85('VPa!"'), SyntaxError);
  assert.throws(() => decodeBase85("VPa!sW"), SyntaxError);
  assert.throws(() => decodeBase85("~~~~~"), SyntaxError);
});
