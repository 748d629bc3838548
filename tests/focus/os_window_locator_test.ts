import assert from "node:assert/strict";
import type { FocusedWindow } from "../../src/compositor/focus_source.ts";
import {
  FOCUS_REPORT_WAIT_MS,
  type LocateResult,
  OsWindowLocator,
} from "../../src/focus/os_window_locator.ts";
import type { KittyOsWindowInfo } from "../../src/kitty/codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

/** An OS window as kitty's `ls` reports it (one window inside). */
const osw = (
  id: number,
  focused: boolean,
  platformId: number | null = null,
): KittyOsWindowInfo => ({
  id,
  platform_window_id: platformId,
  is_focused: focused,
  is_active: focused,
  windows: [{ id: id * 10, is_focused: true, columns: 80, lines: 24 }],
});

function setup(kitties: Map<number, () => KittyOsWindowInfo[]>) {
  const clock = new VirtualClock();
  const asked: number[] = [];
  const locator = new OsWindowLocator({
    listOsWindows: (pid) => {
      asked.push(pid);
      const ls = kitties.get(pid);
      if (ls === undefined) {
        return Promise.reject(new ConnectionError("not_configured", `kitty ${pid}: no socket`));
      }
      return Promise.resolve(ls());
    },
    candidatePids: () => Promise.resolve([...kitties.keys()]),
    clock,
  });
  /** Runs a locate to completion, moving virtual time through its polls. */
  const locate = async (window: FocusedWindow): Promise<LocateResult> => {
    let done: LocateResult | null = null;
    const pending = locator.locate(window).then((result) => (done = result));
    for (let elapsedMs = 0; done === null; elapsedMs += 5) {
      if (elapsedMs > 60_000) throw new Error("locate still running after 60 s of virtual time");
      await clock.advance(5);
    }
    return await pending;
  };
  return { clock, asked, locator, locate };
}

const wayland = (windowId: number, pid: number | null): FocusedWindow => ({
  windowId,
  pid,
  appId: "kitty",
});

Deno.test("X11: the OS window whose platform_window_id is the compositor's X11 id, asking every kitty when there is no PID (i3)", async () => {
  const { locate } = setup(
    new Map([
      [100, () => [osw(1, false, 0x400001)]],
      [200, () => [osw(1, false, 0x600001), osw(2, false, 0x600007)]],
    ]),
  );
  const found = await locate({ windowId: 94, pid: null, appId: "kitty", x11WindowId: 0x600007 });
  assert.deepEqual(found, { kind: "found", window: { pid: 200, osWindowId: 2 }, how: "x11" });
  const unknown = await locate({ windowId: 95, pid: null, appId: "kitty", x11WindowId: 0x999 });
  assert.equal(unknown.kind, "unknown");
  assert.match((unknown as { reason: string }).reason, /no kitty reports X11 window 0x999/);
});

Deno.test("Wayland, one OS window: that one, at once; the binding is cached", async () => {
  const { locate, asked } = setup(new Map([[100, () => [osw(1, false)]]]));
  assert.deepEqual(await locate(wayland(5, 100)), {
    kind: "found",
    window: { pid: 100, osWindowId: 1 },
    how: "only",
  });
  assert.equal((await locate(wayland(5, 100))).kind, "found");
  assert.deepEqual(asked, [100], "the second locate needs no ls");
});

Deno.test("Wayland, several OS windows: kitty's focused one, waiting until kitty has seen the move", async () => {
  let focused = 0; // keyboard focus elsewhere: kitty reports none
  const { locate, clock } = setup(
    new Map([[100, () => [osw(1, focused === 1), osw(2, focused === 2)]]]),
  );
  clock.setTimeout(() => (focused = 1), 30); // kitty hears of the focus: its report changes
  assert.deepEqual(await locate(wayland(5, 100)), {
    kind: "found",
    window: { pid: 100, osWindowId: 1 },
    how: "focused",
  });
  // The compositor focuses window 6; kitty reports OS window 2 only 60 ms later.
  clock.setTimeout(() => (focused = 2), 60);
  const started = clock.now();
  assert.deepEqual(await locate(wayland(6, 100)), {
    kind: "found",
    window: { pid: 100, osWindowId: 2 },
    how: "focused",
  });
  assert.ok(clock.now() - started >= 60, "it waited for kitty instead of taking OS window 1");
});

Deno.test("Wayland without keyboard focus: ambiguous after the bounded wait, never a guess", async () => {
  const { locate, clock } = setup(new Map([[100, () => [osw(1, false), osw(2, false)]]]));
  const started = clock.now();
  const result = await locate(wayland(5, 100));
  assert.equal(result.kind, "ambiguous");
  assert.match((result as { reason: string }).reason, /2 OS windows and reports none focused/);
  assert.ok(clock.now() - started >= FOCUS_REPORT_WAIT_MS);
  assert.ok(clock.now() - started < FOCUS_REPORT_WAIT_MS + 50);
});

Deno.test("Wayland: a stale focus report (an OS window bound to another compositor window) is ambiguous", async () => {
  let focused = 0;
  const { locate, clock } = setup(
    new Map([[100, () => [osw(1, focused === 1), osw(2, focused === 2)]]]),
  );
  clock.setTimeout(() => (focused = 1), 30);
  assert.equal((await locate(wayland(5, 100))).kind, "found");
  const stale = await locate(wayland(6, 100)); // kitty never sees the move
  assert.equal(stale.kind, "ambiguous");
  assert.match(
    (stale as { reason: string }).reason,
    /OS window 1 focused, which is compositor window 5/,
  );
  focused = 2;
  assert.equal((await locate(wayland(6, 100))).kind, "found", "not cached: asked again next time");
});

Deno.test("Wayland: a kitty whose focus report never changes (stale without a keyboard) is never believed", async () => {
  // kitty 0.48 under sway 1.12 without a keyboard keeps reporting the OS window created last.
  const { locate } = setup(new Map([[100, () => [osw(1, false), osw(2, true)]]]));
  const result = await locate(wayland(5, 100));
  assert.equal(result.kind, "ambiguous");
  assert.match((result as { reason: string }).reason, /not been seen to follow a focus change/);
  assert.equal((await locate(wayland(6, 100))).kind, "ambiguous");
});

Deno.test("bindings: a closed OS window or another PID for the same window id (restarted compositor) is asked again", async () => {
  let windows = [osw(1, true)];
  const { locate, asked, locator } = setup(
    new Map([[100, () => windows], [200, () => [osw(7, true)]]]),
  );
  await locate(wayland(5, 100));
  assert.equal(locator.peek(wayland(5, 200)), null, "same id, other PID: not the same window");
  assert.deepEqual(await locate(wayland(5, 200)), {
    kind: "found",
    window: { pid: 200, osWindowId: 7 },
    how: "only",
  });
  windows = [osw(3, false), osw(4, true)];
  await locate(wayland(9, 100));
  assert.equal(locator.peek(wayland(5, 100)), null);
  assert.deepEqual(asked.slice(0, 3), [100, 200, 100]);
  assert.ok(asked.length >= 4, "OS window 4 was believed only after it stayed focused");
});

Deno.test("a kitty that cannot be asked is unknown with its reason; no PID on Wayland is unknown", async () => {
  const { locate } = setup(new Map());
  const result = await locate(wayland(5, 300));
  assert.deepEqual(result, {
    kind: "unknown",
    pid: 300,
    reason: "kitty 300: no socket",
    category: "not_configured",
  });
  assert.equal((await locate(wayland(6, null))).kind, "unknown");
});
