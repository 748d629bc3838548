import assert from "node:assert/strict";
import {
  encodeNiriRequest,
  LineSplitter,
  parseNiriEvent,
  parseNiriReply,
  parseNiriWindow,
  versionFromReply,
} from "../../src/compositor/niri_codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { NIRI_LINES } from "./niri_fixtures.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const isProtocolError = (error: unknown) =>
  error instanceof ConnectionError && error.category === "protocol";

const L = NIRI_LINES;

Deno.test("requests encode as one JSON line: unit variants as strings", () => {
  assert.equal(encodeNiriRequest("Version"), L.versionRequest.line + "\n");
  assert.equal(encodeNiriRequest("EventStream"), L.eventStreamRequest.line + "\n");
  assert.equal(
    encodeNiriRequest({ Action: { FocusWindow: { id: 12 } } }),
    L.focusWindowRequest.line + "\n",
  );
});

Deno.test("Ok and Err replies decode; the version string is extracted", () => {
  const ok = parseNiriReply(L.versionReply.line);
  assert.deepEqual(ok, { ok: true, value: { Version: "25.11 (b35bcae)" } });
  assert.equal(versionFromReply(ok.ok ? ok.value : null), "25.11 (b35bcae)");
  assert.deepEqual(parseNiriReply(L.handledReply.line), { ok: true, value: "Handled" });
  assert.deepEqual(parseNiriReply(L.noFocusedWindowReply.line), {
    ok: true,
    value: { FocusedWindow: null },
  });
  assert.deepEqual(parseNiriReply(L.errorReply.line), {
    ok: false,
    error: "error parsing request",
  });
});

Deno.test("a Version with a patch number (niri 25.05.1) is taken whole", () => {
  const reply = parseNiriReply(L.patchVersionReply.line);
  assert.equal(versionFromReply(reply.ok ? reply.value : null), "25.05.1 (8ba57fc)");
});

Deno.test("replies that are not Ok/Err envelopes are protocol errors", () => {
  assert.throws(() => parseNiriReply("not json"), isProtocolError);
  assert.throws(() => parseNiriReply('"Handled"'), isProtocolError);
  assert.throws(() => parseNiriReply('{"Maybe":1}'), isProtocolError);
  assert.throws(() => versionFromReply({ Windows: [] }), isProtocolError);
});

Deno.test("WindowsChanged yields typed windows, ignoring unknown fields", () => {
  const event = parseNiriEvent(L.windowsChanged.line);
  assert.deepEqual(event, {
    type: "WindowsChanged",
    windows: [{
      id: 7,
      title: "nvim",
      app_id: "kitty",
      pid: 41230,
      workspace_id: 1,
      is_focused: true,
      is_floating: false,
    }],
  });
});

Deno.test("pre-25.01 windows without pid/is_floating default to null/false", () => {
  assert.deepEqual(
    parseNiriWindow({ id: 3, title: null, app_id: "foot", workspace_id: 2, is_focused: false }),
    {
      id: 3,
      title: null,
      app_id: "foot",
      pid: null,
      workspace_id: 2,
      is_focused: false,
      is_floating: false,
    },
  );
});

Deno.test("focus events: opened-or-changed, focus change with id or null, closed", () => {
  const opened = parseNiriEvent(L.windowOpened.line);
  assert.equal(opened.type === "WindowOpenedOrChanged" && opened.window.pid, 41230);
  assert.deepEqual(parseNiriEvent(L.focusChanged.line), {
    type: "WindowFocusChanged",
    id: 7,
  });
  assert.deepEqual(parseNiriEvent(L.focusNone.line), {
    type: "WindowFocusChanged",
    id: null,
  });
  assert.deepEqual(parseNiriEvent(L.windowClosed.line), { type: "WindowClosed", id: 8 });
  assert.deepEqual(parseNiriEvent(L.workspaceActivated.line), {
    type: "WorkspaceActivated",
    id: 2,
    focused: true,
  });
});

Deno.test("unknown events are passed through as 'other', not rejected", () => {
  assert.deepEqual(parseNiriEvent('{"CastStopped":{"stream_id":4}}'), {
    type: "other",
    name: "CastStopped",
    body: { stream_id: 4 },
  });
  assert.deepEqual(
    parseNiriEvent(L.focusTimestamp.line).type,
    "other",
  );
});

Deno.test("malformed events are protocol errors", () => {
  assert.throws(() => parseNiriEvent("{"), isProtocolError);
  assert.throws(() => parseNiriEvent("[1]"), isProtocolError);
  assert.throws(() => parseNiriEvent('{"A":{},"B":{}}'), isProtocolError);
  assert.throws(() => parseNiriEvent('{"WindowClosed":{}}'), isProtocolError);
  assert.throws(() => parseNiriEvent('{"WindowClosed":{"id":"8"}}'), isProtocolError);
  assert.throws(() => parseNiriEvent('{"WindowsChanged":{"windows":{}}}'), isProtocolError);
});

Deno.test("line splitter yields complete lines across chunk boundaries", () => {
  const splitter = new LineSplitter();
  assert.deepEqual(splitter.push(bytes('{"Ok":"Han')), []);
  assert.equal(splitter.bufferedBytes, 10);
  assert.deepEqual(splitter.push(bytes('dled"}\n{"A":1}\r\n{"B"')), [
    '{"Ok":"Handled"}',
    '{"A":1}',
  ]);
  assert.deepEqual(splitter.push(bytes(":2}\n")), ['{"B":2}']);
  assert.equal(splitter.bufferedBytes, 0);
});

Deno.test("line splitter reassembles a multi-byte character split between chunks", () => {
  const splitter = new LineSplitter();
  const encoded = bytes('"✓"\n');
  assert.deepEqual(splitter.push(encoded.subarray(0, 2)), []);
  assert.deepEqual(splitter.push(encoded.subarray(2)), ['"✓"']);
});

Deno.test("line splitter copies partial lines so callers may reuse their buffer", () => {
  const splitter = new LineSplitter();
  const buffer = bytes("abc");
  splitter.push(buffer);
  buffer.set(bytes("xyz"));
  assert.deepEqual(splitter.push(bytes("\n")), ["abc"]);
});

Deno.test("line splitter rejects a line over the bound, even without a newline", () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  assert.deepEqual(splitter.push(bytes("12345678\n")), ["12345678"]);
  splitter.push(bytes("12345"));
  assert.throws(() => splitter.push(bytes("6789")), isProtocolError);
});

Deno.test("line splitter rejects a line that is not UTF-8", () => {
  assert.throws(
    () => new LineSplitter().push(new Uint8Array([0xff, 0x0a])),
    isProtocolError,
  );
});

Deno.test("line splitter skips an oversized line across chunks, keeping at most the bound", () => {
  const splitter = new LineSplitter({ maxLineBytes: 8 });
  assert.deepEqual(splitter.split(bytes("12345")), []);
  assert.equal(splitter.bufferedBytes, 5);
  const [skipped] = splitter.split(bytes("6789abc"));
  assert.ok(skipped instanceof ConnectionError && skipped.category === "protocol");
  assert.match(skipped.message, /longer than 8 bytes skipped: "123456789abc"/);
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(splitter.split(bytes("x".repeat(100))), []);
    assert.equal(splitter.bufferedBytes, 0);
  }
  assert.deepEqual(splitter.split(bytes('tail\n{"A":1}\n{"B"')), ['{"A":1}']);
  assert.deepEqual(splitter.split(bytes(":2}\n")), ['{"B":2}']);
});

Deno.test("line splitter skips a line that is not UTF-8 in place and goes on", () => {
  const items = new LineSplitter().split(new Uint8Array([0x31, 0xff, 0x0a, 0x32, 0x0a]));
  assert.equal(items.length, 2);
  assert.ok(items[0] instanceof ConnectionError && /not valid UTF-8/.test(items[0].message));
  assert.equal(items[1], "2");
});

Deno.test("line splitter reports only an excerpt of an oversized line", () => {
  const [skipped] = new LineSplitter({ maxLineBytes: 1000 }).split(bytes("q".repeat(5000)));
  assert.ok(skipped instanceof ConnectionError);
  assert.ok(skipped.message.length < 200, skipped.message);
});
