import assert from "node:assert/strict";
import { focusTransitions, sameFocus } from "../../src/compositor/focus_source.ts";

const kitty = { windowId: 7, pid: 100, appId: "kitty" };
const foot = { windowId: 8, pid: 200, appId: "foot" };

Deno.test("sameFocus compares window id, pid and app id", () => {
  assert.equal(sameFocus(kitty, { ...kitty }), true);
  assert.equal(sameFocus(kitty, { ...kitty, pid: 101 }), false);
  assert.equal(sameFocus(kitty, { ...kitty, appId: "foot" }), false);
  assert.equal(sameFocus(null, null), true);
  assert.equal(sameFocus(kitty, null), false);
});

Deno.test("focusTransitions reports changes once and drops repeats", () => {
  const next = focusTransitions();
  assert.deepEqual(next(kitty), { previous: null, focused: kitty });
  assert.equal(next({ ...kitty }), null);
  assert.deepEqual(next(foot), { previous: kitty, focused: foot });
  assert.deepEqual(next(null), { previous: foot, focused: null });
  assert.equal(next(null), null);
});
