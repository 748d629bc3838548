import assert from "node:assert/strict";
import {
  actionCommand,
  encodeCommand,
  fontSizeChangeAction,
  fontSizeChangeCommand,
  lsCommand,
  MAX_RESPONSE_FRAME_BYTES,
  parseLsData,
  parseResponse,
  ResponseSplitter,
  setFontSizeCommand,
  toAsciiJson,
  versionProbeCommand,
} from "../../src/kitty/codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);
const frame = (json: string) => bytes(`\x1bP@kitty-cmd${json}\x1b\\`);

Deno.test("encodeCommand wraps the JSON in ESC P @kitty-cmd ... ESC \\", () => {
  assert.equal(
    text(encodeCommand(lsCommand())),
    '\x1bP@kitty-cmd{"cmd":"ls","version":[0,26,0]}\x1b\\',
  );
});

Deno.test("encodeCommand output is pure ASCII even for non-ASCII strings", () => {
  const encoded = encodeCommand({
    cmd: "set-window-title",
    version: [0, 26, 0],
    payload: { title: "héllo ✓ 😀" },
  });
  assert.ok(encoded.every((byte) => byte < 0x80));
  assert.match(text(encoded), /h\\u00e9llo \\u2713 \\ud83d\\ude00/);
});

Deno.test("toAsciiJson round-trips through JSON.parse", () => {
  const value = { title: "héllo ✓ 😀 \x1b end" };
  const json = toAsciiJson(value);
  assert.doesNotMatch(json, /[^\x20-\x7e]/);
  assert.deepEqual(JSON.parse(json), value);
});

Deno.test("encodeCommand refuses frames kitty would reset the connection for", () => {
  assert.throws(
    () => encodeCommand({ cmd: "x", version: [0, 26, 0], payload: { blob: "a".repeat(70_000) } }),
    RangeError,
  );
});

Deno.test("fontSizeChangeCommand grows with '+' and the absolute delta", () => {
  assert.deepEqual(fontSizeChangeCommand(3), {
    cmd: "set-font-size",
    version: [0, 26, 0],
    payload: { size: 3, increment_op: "+", all: false },
  });
});

Deno.test("fontSizeChangeCommand shrinks with '-' and a positive size", () => {
  assert.deepEqual(fontSizeChangeCommand(-1.5, { all: true }).payload, {
    size: 1.5,
    increment_op: "-",
    all: true,
  });
});

Deno.test("fontSizeChangeCommand rejects zero, which kitty would read as reset", () => {
  assert.throws(() => fontSizeChangeCommand(0), RangeError);
  assert.throws(() => fontSizeChangeCommand(Number.NaN), RangeError);
});

Deno.test("setFontSizeCommand sends an absolute size or a reset", () => {
  assert.deepEqual(setFontSizeCommand({ size: 0 }).payload, { size: 0 });
  assert.deepEqual(setFontSizeCommand({ size: 14 }).payload, { size: 14 });
  assert.throws(() => setFontSizeCommand({ size: -1 }), RangeError);
});

Deno.test("versionProbeCommand is an ls with the given version", () => {
  assert.equal(
    text(encodeCommand(versionProbeCommand([0, 99, 0]))),
    '\x1bP@kitty-cmd{"cmd":"ls","version":[0,99,0]}\x1b\\',
  );
});

Deno.test("parseResponse reads ok, data, error and tb", () => {
  assert.deepEqual(parseResponse('{"ok": true}'), { ok: true });
  assert.deepEqual(parseResponse('{"ok": true, "data": "2"}'), { ok: true, data: "2" });
  assert.deepEqual(parseResponse('{"ok": false, "error": "boom", "tb": "Traceback"}'), {
    ok: false,
    error: "boom",
    tb: "Traceback",
  });
});

Deno.test("parseResponse rejects non-JSON and objects without ok as protocol errors", () => {
  for (const body of ["not json", '{"data": 1}', "[]", "null", '{"ok": "yes"}']) {
    assert.throws(
      () => parseResponse(body),
      (error: unknown) => error instanceof ConnectionError && error.category === "protocol",
      body,
    );
  }
});

Deno.test("ResponseSplitter returns every frame of one read, in order", () => {
  const splitter = new ResponseSplitter();
  const chunk = new Uint8Array([...frame('{"ok": true}'), ...frame('{"ok": false, "error": "e"}')]);
  assert.deepEqual(splitter.push(chunk), ['{"ok": true}', '{"ok": false, "error": "e"}']);
  assert.equal(splitter.pendingBytes, 0);
});

Deno.test("ResponseSplitter joins a frame split across reads at every byte", () => {
  const whole = frame('{"ok": true, "data": "[1]"}');
  for (let cut = 1; cut < whole.length; cut++) {
    const splitter = new ResponseSplitter();
    assert.deepEqual(splitter.push(whole.subarray(0, cut)), [], `cut ${cut}`);
    assert.deepEqual(
      splitter.push(whole.subarray(cut)),
      ['{"ok": true, "data": "[1]"}'],
      `cut ${cut}`,
    );
  }
});

Deno.test("ResponseSplitter skips bytes outside frames", () => {
  const splitter = new ResponseSplitter();
  const chunk = new Uint8Array([...bytes("noise\n"), ...frame('{"ok": true}'), ...bytes("\n")]);
  assert.deepEqual(splitter.push(chunk), ['{"ok": true}']);
  assert.ok(splitter.pendingBytes < 12);
});

Deno.test("ResponseSplitter gives up on an unterminated oversized frame", () => {
  const splitter = new ResponseSplitter();
  splitter.push(bytes("\x1bP@kitty-cmd{"));
  assert.throws(
    () => splitter.push(new Uint8Array(MAX_RESPONSE_FRAME_BYTES + 1).fill(0x61)),
    (error: unknown) => error instanceof ConnectionError && error.category === "protocol",
  );
});

Deno.test("parseLsData flattens tabs into windows with geometry", () => {
  const data = JSON.stringify([
    {
      id: 1,
      platform_window_id: 4194307,
      is_focused: true,
      is_active: true,
      tabs: [
        { windows: [{ id: 1, is_focused: true, columns: 71, lines: 22, pid: 42, title: "sh" }] },
        { windows: [{ id: 2, is_focused: false, columns: 64, lines: 19 }] },
      ],
    },
  ]);
  assert.deepEqual(parseLsData(data), [
    {
      id: 1,
      platform_window_id: 4194307,
      is_focused: true,
      is_active: true,
      windows: [
        { id: 1, is_focused: true, columns: 71, lines: 22, pid: 42, title: "sh" },
        { id: 2, is_focused: false, columns: 64, lines: 19 },
      ],
    },
  ]);
});

Deno.test("parseLsData: a Wayland OS window has no platform window id", () => {
  const [osWindow] = parseLsData(JSON.stringify([{ id: 2, platform_window_id: null, tabs: [] }]));
  assert.equal(osWindow!.platform_window_id, null);
  assert.equal(osWindow!.is_active, false);
});

Deno.test("actionCommand names the target window in both match fields; only + and - are sent", () => {
  assert.deepEqual(actionCommand(fontSizeChangeAction(-3), 7), {
    cmd: "action",
    version: [0, 26, 0],
    payload: {
      action: "change_font_size current -3",
      match_window: "id:7",
      match: "id:7",
      self: false,
    },
  });
  assert.equal(fontSizeChangeAction(2.5), "change_font_size current +2.5");
  assert.throws(() => fontSizeChangeAction(0), RangeError);
  assert.throws(() => actionCommand("x", -1), RangeError);
});

Deno.test("parseLsData rejects data that is not a list", () => {
  assert.throws(() => parseLsData('{"a": 1}'), ConnectionError);
  assert.throws(() => parseLsData("{"), ConnectionError);
});
