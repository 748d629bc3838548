import assert from "node:assert/strict";
import type { KittyOsWindowInfo } from "../../src/kitty/codec.ts";
import { fontTargetingFor, planOsWindowFontChange } from "../../src/kitty/os_window_font.ts";

const osw = (id: number, active: boolean): KittyOsWindowInfo => ({
  id,
  platform_window_id: null,
  is_focused: active,
  is_active: active,
  windows: [
    { id: id * 10, is_focused: false, columns: 80, lines: 24 },
    { id: id * 10 + 1, is_focused: true, columns: 80, lines: 24 },
  ],
});
const ls = [osw(1, false), osw(2, true)];

Deno.test("targeting: kitty >= 0.35 names the OS window; older or unknown kitty has only the active one", () => {
  assert.equal(fontTargetingFor([0, 35, 0]), "window");
  assert.equal(fontTargetingFor([0, 48, 2]), "window");
  assert.equal(fontTargetingFor([0, 34, 1]), "active");
  assert.equal(fontTargetingFor([0, 26, 5]), "active");
  assert.equal(fontTargetingFor(null), "active");
  assert.equal(fontTargetingFor(null, true), "window", "kitty proved >= 0.43");
});

Deno.test("kitty >= 0.35: an action on the focused kitty window inside that OS window", () => {
  const plan = planOsWindowFontChange(ls, 1, -3, "window", true);
  assert.deepEqual(plan, {
    kind: "send",
    command: {
      cmd: "action",
      version: [0, 26, 0],
      payload: {
        action: "change_font_size current -3",
        match_window: "id:11",
        match: "id:11",
        self: false,
      },
    },
  });
});

Deno.test("kitty < 0.35: set-font-size all:false on the active OS window", () => {
  assert.deepEqual(planOsWindowFontChange(ls, 2, 3, "active", false), {
    kind: "send",
    command: {
      cmd: "set-font-size",
      version: [0, 26, 0],
      payload: { size: 3, increment_op: "+", all: false },
    },
  });
});

Deno.test("kitty < 0.35: a shrink of an inactive OS window resets all; a grow of one is unreachable", () => {
  assert.deepEqual(planOsWindowFontChange(ls, 1, -3, "active", true), {
    kind: "reset_all",
    command: { cmd: "set-font-size", version: [0, 26, 0], payload: { size: 0, all: true } },
  });
  const grow = planOsWindowFontChange(ls, 1, 3, "active", false);
  assert.equal(grow.kind, "unreachable");
  assert.match((grow as { reason: string }).reason, /that is OS window 2, not 1/);
  assert.equal(planOsWindowFontChange(ls, 1, -3, "active", false).kind, "unreachable");
});

Deno.test("a closed OS window is gone; no OS window id means the active one (old crash record)", () => {
  assert.deepEqual(planOsWindowFontChange(ls, 9, -3, "window", true), { kind: "gone" });
  assert.deepEqual(planOsWindowFontChange([], null, -3, "window", true), {
    kind: "send",
    command: {
      cmd: "set-font-size",
      version: [0, 26, 0],
      payload: { size: 3, increment_op: "-", all: false },
    },
  });
});
