import assert from "node:assert/strict";
import {
  escapeControl,
  escapeControlLines,
  escapeJsonControl,
} from "../../src/platform/escape_control.ts";

Deno.test("control characters become visible escapes; printable text is unchanged", () => {
  assert.equal(escapeControl("in\x1b]0;pwned\x07fo"), "in\\x1b]0;pwned\\x07fo");
  assert.equal(escapeControl("a\x00b\x7fc\x9bd\r"), "a\\x00b\\x7fc\\x9bd\\x0d");
  assert.equal(escapeControl("evil\u202egnp.exe"), "evil\\u202egnp.exe");
  assert.equal(escapeControl("Grüße /run/user/1000 ✓"), "Grüße /run/user/1000 ✓");
});

Deno.test("serialised JSON keeps its meaning with C1 controls and bidi overrides escaped", () => {
  const value = { frame: "<E\u009b2J\u202e\x1b>" };
  const json = escapeJsonControl(JSON.stringify(value));
  assert.equal(json, '{"frame":"<E\\u009b2J\\u202e\\u001b>"}');
  assert.deepEqual(JSON.parse(json), value);
  assert.equal(escapeControlLines("a\x1bb\nc\x07\n"), "a\\x1bb\nc\\x07\n");
});
