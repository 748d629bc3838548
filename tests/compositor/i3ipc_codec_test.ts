import assert from "node:assert/strict";
import {
  encodeMessage,
  eventName,
  EventType,
  I3IPC_HEADER_BYTES,
  I3IpcDecoder,
  isEventType,
  MessageType,
  NATIVE_LITTLE_ENDIAN,
  parsePayload,
} from "../../src/compositor/i3ipc_codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

const text = new TextEncoder();

function isProtocolError(error: unknown): boolean {
  return error instanceof ConnectionError && error.category === "protocol";
}

Deno.test("encodeMessage writes magic, native-endian length and type, then the payload", () => {
  const frame = encodeMessage(MessageType.SUBSCRIBE, '["window"]');
  assert.equal(new TextDecoder().decode(frame.subarray(0, 6)), "i3-ipc");
  const view = new DataView(frame.buffer);
  assert.equal(view.getUint32(6, NATIVE_LITTLE_ENDIAN), 10);
  assert.equal(view.getUint32(10, NATIVE_LITTLE_ENDIAN), 2);
  assert.equal(new TextDecoder().decode(frame.subarray(I3IPC_HEADER_BYTES)), '["window"]');
});

Deno.test("x86_64 is little-endian: GET_VERSION encodes as the bytes sway expects", () => {
  assert.equal(NATIVE_LITTLE_ENDIAN, true);
  assert.deepEqual(
    [...encodeMessage(MessageType.GET_VERSION)],
    [...text.encode("i3-ipc"), 0, 0, 0, 0, 7, 0, 0, 0],
  );
});

Deno.test("encodeMessage counts UTF-8 bytes, not characters", () => {
  const frame = encodeMessage(MessageType.RUN_COMMAND, "exec ✓");
  assert.equal(new DataView(frame.buffer).getUint32(6, true), 8);
});

Deno.test("encodeMessage honours an explicit big-endian order", () => {
  const frame = encodeMessage(MessageType.GET_TREE, "", false);
  assert.deepEqual([...frame.subarray(6)], [0, 0, 0, 0, 0, 0, 0, 4]);
});

Deno.test("encodeMessage rejects a type that is not a u32", () => {
  assert.throws(() => encodeMessage(-1), RangeError);
  assert.throws(() => encodeMessage(2 ** 32), RangeError);
});

Deno.test("decoder round-trips messages and events in one chunk", () => {
  const decoder = new I3IpcDecoder();
  const chunk = new Uint8Array([
    ...encodeMessage(MessageType.GET_VERSION, '{"major":1}'),
    ...encodeMessage(EventType.window, '{"change":"focus"}'),
  ]);
  assert.deepEqual(decoder.push(chunk), [
    { type: 7, isEvent: false, payload: '{"major":1}' },
    { type: 0x80000003, isEvent: true, payload: '{"change":"focus"}' },
  ]);
  assert.equal(decoder.bufferedBytes, 0);
});

Deno.test("decoder assembles a message fed one byte at a time", () => {
  const decoder = new I3IpcDecoder();
  const frame = encodeMessage(MessageType.GET_TREE, '{"name":"root ✓"}');
  const out = [];
  for (const byte of frame) out.push(...decoder.push(new Uint8Array([byte])));
  assert.deepEqual(out, [{ type: 4, isEvent: false, payload: '{"name":"root ✓"}' }]);
});

Deno.test("decoder keeps a partial trailing message until it completes", () => {
  const decoder = new I3IpcDecoder();
  const frame = encodeMessage(MessageType.GET_WORKSPACES, "[]");
  assert.deepEqual(decoder.push(frame.subarray(0, 15)), []);
  assert.equal(decoder.bufferedBytes, 15);
  assert.deepEqual(decoder.push(frame.subarray(15)), [
    { type: 1, isEvent: false, payload: "[]" },
  ]);
});

Deno.test("decoder accepts an empty payload", () => {
  assert.deepEqual(new I3IpcDecoder().push(encodeMessage(MessageType.SYNC)), [
    { type: 11, isEvent: false, payload: "" },
  ]);
});

Deno.test("decoder rejects a wrong magic with a protocol error", () => {
  const frame = encodeMessage(MessageType.GET_VERSION);
  frame[0] = 0x49; // "I3-ipc"
  assert.throws(() => new I3IpcDecoder().push(frame), isProtocolError);
});

Deno.test("decoder rejects garbage as soon as the partial header stops matching", () => {
  assert.throws(() => new I3IpcDecoder().push(text.encode("HTTP/")), isProtocolError);
});

Deno.test("decoder rejects a declared length above the limit before buffering it", () => {
  const decoder = new I3IpcDecoder({ maxPayloadBytes: 16 });
  const header = encodeMessage(MessageType.GET_TREE, "x".repeat(17)).subarray(0, 14);
  assert.throws(() => decoder.push(header), isProtocolError);
});

Deno.test("decoder rejects a payload that is not UTF-8", () => {
  const frame = encodeMessage(MessageType.GET_TREE, new Uint8Array([0xff, 0xfe]));
  assert.throws(() => new I3IpcDecoder().push(frame), isProtocolError);
});

Deno.test("decoder stays failed after a protocol error", () => {
  const decoder = new I3IpcDecoder();
  assert.throws(() => decoder.push(text.encode("garbage!!!!!!!!!")), isProtocolError);
  assert.throws(() => decoder.push(encodeMessage(MessageType.GET_VERSION)), isProtocolError);
});

Deno.test("event types carry the high bit and map back to their SUBSCRIBE names", () => {
  assert.equal(isEventType(EventType.window), true);
  assert.equal(isEventType(MessageType.GET_INPUTS), false);
  assert.equal(eventName(0x80000003), "window");
  assert.equal(eventName(0x80000000), "workspace");
  assert.equal(eventName(0x80000015), "input");
  assert.equal(eventName(0x8000007f), null);
});

Deno.test("parsePayload parses JSON and turns malformed JSON into a protocol error", () => {
  assert.deepEqual(parsePayload({ type: 7, isEvent: false, payload: '{"major":1}' }), {
    major: 1,
  });
  assert.throws(() => parsePayload({ type: 7, isEvent: false, payload: "{" }), isProtocolError);
});
