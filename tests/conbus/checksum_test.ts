import assert from "node:assert/strict";
import { checksumOf, isChecksumText } from "../../src/conbus/checksum.ts";
import { decodeFrame } from "../../src/conbus/telegram_codec.ts";
import { TelegramError } from "../../src/conbus/telegram_error.ts";
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

/** Illustrative frames from xp's docs with stale checksums, and the correct ones (conbus.md §2.4). */
const STALE_DOC_FRAMES: readonly [frame: string, correct: string][] = [
  ["<S0012345003F02D12FM>", "FC"],
  ["<R0012345003F02D12xxxxx000BF>", "BL"],
  ["<S0123450001F02D12FK>", "FA"],
  ["<E12L01I08MAK>", "AH"],
  ["<S0012345003F02D10FO>", "FA"],
  ["<S0123450001F04D1502:050FN>", "FM"],
];

Deno.test("stale examples from xp's docs: every one of the six has the correct checksum per conbus.md", () => {
  for (const [frame, correct] of STALE_DOC_FRAMES) {
    assert.equal(checksumOf(bytes(frame.slice(1, -3))), correct, frame);
    assert.notEqual(frame.slice(-3, -1), correct, frame);
  }
});

Deno.test("stale examples from xp's docs are rejected by decodeFrame with the typed error", () => {
  for (const [frame, correct] of STALE_DOC_FRAMES) {
    assert.throws(
      () => decodeFrame(bytes(frame)),
      (error) =>
        error instanceof TelegramError && error.input === frame &&
        error.message === `checksum ${correct} expected, got ${frame.slice(-3, -1)}`,
      frame,
    );
  }
});

Deno.test("checksum text is exactly two letters A-P", () => {
  assert.ok(isChecksumText("FA"));
  assert.ok(isChecksumText("PP"));
  assert.ok(!isChecksumText("FQ"));
  assert.ok(!isChecksumText("F1"));
  assert.ok(!isChecksumText("FAB"));
});
