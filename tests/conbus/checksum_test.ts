import assert from "node:assert/strict";
import { checksumOf, isChecksumText } from "../../src/conbus/checksum.ts";
import { bytes, REAL_CAPTURE_FRAMES } from "./vectors.ts";

Deno.test("checksum matches every real-capture telegram", () => {
  for (const frame of REAL_CAPTURE_FRAMES) {
    const body = frame.slice(1, -3);
    assert.equal(checksumOf(bytes(body)), frame.slice(-3, -1), frame);
  }
});

Deno.test("checksum of the 0xA7 reply is computed on the raw byte, not its UTF-8 form", () => {
  const body = "R0020012521F02D18+26,0\u00a7C";
  assert.equal(checksumOf(bytes(body)), "IL");
  assert.notEqual(checksumOf(new TextEncoder().encode(body)), "IL");
});

Deno.test("checksum of the empty body is AA (XOR start value 0)", () => {
  assert.equal(checksumOf(new Uint8Array()), "AA");
});

Deno.test("stale examples from xp's docs do not verify (correct values per conbus.md)", () => {
  assert.equal(checksumOf(bytes("S0012345003F02D12")), "FC");
  assert.equal(checksumOf(bytes("E12L01I08M")), "AH");
  assert.equal(checksumOf(bytes("S0123450001F04D1502:050")), "FM");
});

Deno.test("checksum text is exactly two letters A-P", () => {
  assert.ok(isChecksumText("FA"));
  assert.ok(isChecksumText("PP"));
  assert.ok(!isChecksumText("FQ"));
  assert.ok(!isChecksumText("F1"));
  assert.ok(!isChecksumText("FAB"));
});
