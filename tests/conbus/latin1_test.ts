import assert from "node:assert/strict";
import { latin1Decode, latin1Encode } from "../../src/conbus/latin1.ts";

Deno.test("latin1 round-trips every byte value 0-255, including 0x80-0x9F", () => {
  const all = Uint8Array.from({ length: 256 }, (_, index) => index);
  const text = latin1Decode(all);
  assert.equal(text.length, 256);
  assert.equal(text.charCodeAt(0x80), 0x80); // windows-1252 would give U+20AC
  assert.deepEqual(latin1Encode(text), all);
});

Deno.test("latin1 decodes large buffers", () => {
  const big = new Uint8Array(100_000).fill(0x41);
  assert.equal(latin1Decode(big).length, 100_000);
});

Deno.test("latin1 encode rejects characters above U+00FF", () => {
  assert.equal(latin1Encode("\u20ac"), null);
});
