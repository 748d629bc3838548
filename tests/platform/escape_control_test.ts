import assert from "node:assert/strict";
import { escapeControl } from "../../src/platform/escape_control.ts";

Deno.test("control characters become visible escapes; printable text is unchanged", () => {
  assert.equal(escapeControl("in\x1b]0;pwned\x07fo"), "in\\x1b]0;pwned\\x07fo");
  assert.equal(escapeControl("a\x00b\x7fc\x9bd\r"), "a\\x00b\\x7fc\\x9bd\\x0d");
  assert.equal(escapeControl("evil\u202egnp.exe"), "evil\\u202egnp.exe");
  assert.equal(escapeControl("Grüße /run/user/1000 ✓"), "Grüße /run/user/1000 ✓");
});
