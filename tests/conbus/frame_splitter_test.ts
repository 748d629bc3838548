import assert from "node:assert/strict";
import { FrameSplitter } from "../../src/conbus/frame_splitter.ts";
import { latin1Decode } from "../../src/conbus/latin1.ts";
import { bytes, seededRandom } from "./vectors.ts";

const text = (frames: Uint8Array[]) => frames.map(latin1Decode);

Deno.test("splitter returns several frames from one read", () => {
  const splitter = new FrameSplitter();
  assert.deepEqual(
    text(splitter.push(bytes("<R0020044964F18DFA><E07L06I83MAH>"))),
    ["<R0020044964F18DFA>", "<E07L06I83MAH>"],
  );
});

Deno.test("splitter joins a frame split across reads, byte by byte", () => {
  const splitter = new FrameSplitter();
  const frames: Uint8Array[] = [];
  for (const byte of bytes("<R0020012521F02D18+26,0\u00a7CIL>")) {
    frames.push(...splitter.push(new Uint8Array([byte])));
  }
  assert.deepEqual(text(frames), ["<R0020012521F02D18+26,0\u00a7CIL>"]);
  assert.equal(splitter.bufferedBytes, 0);
});

Deno.test("splitter skips junk between frames and counts it", () => {
  const splitter = new FrameSplitter();
  const frames = splitter.push(bytes("\n junk<E14L00I02MAK>\r\n<E14L00I02BAF>xx"));
  assert.deepEqual(text(frames), ["<E14L00I02MAK>", "<E14L00I02BAF>"]);
  assert.equal(splitter.discardedBytes, 10);
});

Deno.test("a < inside an open frame restarts the frame", () => {
  const splitter = new FrameSplitter();
  assert.deepEqual(text(splitter.push(bytes("<R00200<E14L00I02MAK>"))), ["<E14L00I02MAK>"]);
  assert.equal(splitter.discardedBytes, 7);
});

Deno.test("an over-long frame is dropped and the buffer never exceeds its cap", () => {
  const splitter = new FrameSplitter(64);
  const frames = splitter.push(bytes("<" + "x".repeat(200)));
  assert.deepEqual(frames, []);
  assert.ok(splitter.bufferedBytes <= 64);
  assert.deepEqual(text(splitter.push(bytes("yy><E14L00I02MAK>"))), ["<E14L00I02MAK>"]);
});

Deno.test("property: random bytes never throw and buffered bytes stay within the cap", () => {
  const random = seededRandom(7);
  const splitter = new FrameSplitter(128);
  for (let run = 0; run < 3000; run++) {
    const chunk = Uint8Array.from(
      { length: Math.floor(random() * 64) },
      () => random() < 0.1 ? 0x3c : random() < 0.1 ? 0x3e : Math.floor(random() * 256),
    );
    for (const frame of splitter.push(chunk)) {
      assert.equal(frame[0], 0x3c);
      assert.equal(frame[frame.length - 1], 0x3e);
    }
    assert.ok(splitter.bufferedBytes <= 128);
  }
});

Deno.test("property: frames cut at random points come out whole and in order", () => {
  const random = seededRandom(11);
  const stream = "<S0000000000F01D00FA>\n<R0020012521F02D18+26,0\u00a7CIL><E07L06I80BAL>junk";
  for (let run = 0; run < 500; run++) {
    const splitter = new FrameSplitter();
    const all = bytes(stream.repeat(3));
    const frames: Uint8Array[] = [];
    let position = 0;
    while (position < all.length) {
      const size = 1 + Math.floor(random() * 30);
      frames.push(...splitter.push(all.subarray(position, position + size)));
      position += size;
    }
    assert.equal(frames.length, 9);
    assert.equal(latin1Decode(frames[1]!), "<R0020012521F02D18+26,0\u00a7CIL>");
  }
});
