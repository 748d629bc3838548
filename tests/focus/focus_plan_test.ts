import assert from "node:assert/strict";
import {
  type FocusAction,
  type GainedWindow,
  planFocus,
  type TrackerTransition,
} from "../../src/focus/focus_plan.ts";
import {
  EMPTY_FOCUS_STATE,
  type FocusState,
  newOsWindow,
  type OsWindowState,
} from "../../src/focus/focus_state.ts";
import type { FontChangeResult } from "../../src/kitty/registry.ts";

/** A state from `[key, window patch]` pairs and the wanted key. */
function state(
  wanted: string | null,
  ...windows: [string, Partial<OsWindowState>][]
): FocusState {
  return {
    wanted,
    windows: new Map(windows.map(([key, patch]) => {
      const [pid, os] = key.split(":");
      const osWindowId = os === "active" ? null : Number(os);
      return [key, { ...newOsWindow(Number(pid), osWindowId), ...patch }];
    })),
  };
}

const located = (pid: number, osWindowId: number, windowId: number): GainedWindow => ({
  kind: "located",
  ref: { pid, osWindowId },
  windowId,
});
const lost = (pid: number, osWindowId: number, windowId: number) => ({
  ref: { pid, osWindowId },
  windowId,
});
const focus = (gained: GainedWindow, from: ReturnType<typeof lost> | null = null) =>
  ({ kind: "focus", gained, lost: from }) as const;
const ok: FontChangeResult = {
  status: "success",
  attempts: 1,
  latencyMs: 1,
  error: null,
  category: null,
};
const skipLine = (
  event: "focus_gained" | "focus_lost",
  pid: number | null,
  osWindowId: number | null,
  windowId: number | null,
  text: string,
): FocusAction => ({
  kind: "line",
  line: { event, pid, osWindowId, windowId, status: "skipped", attempts: 0, text },
});

const enlargedA1 = state("100:1", ["100:1", { appliedPt: 3, windowId: 11 }]);

const cases: {
  name: string;
  from: FocusState;
  transition: TrackerTransition;
  to: FocusState;
  actions: FocusAction[];
}[] = [
  {
    name: "focus to a new OS window: it is bound and its grow queued",
    from: EMPTY_FOCUS_STATE,
    transition: focus(located(100, 1, 11)),
    to: state("100:1", ["100:1", { windowId: 11 }]),
    actions: [{ kind: "queue_grow", key: "100:1", pid: 100 }],
  },
  {
    name: "A -> B between kitties: shrink A, observe A's kitty, grow B",
    from: enlargedA1,
    transition: focus(located(200, 1, 21), lost(100, 1, 11)),
    to: state(
      "200:1",
      ["100:1", { appliedPt: 3, windowId: 11, shrinkQueued: true }],
      ["200:1", { windowId: 21 }],
    ),
    actions: [
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "observe_after_loss", pid: 100 },
      { kind: "queue_grow", key: "200:1", pid: 200 },
    ],
  },
  {
    name: "focus to a non-kitty window: the enlarged one is shrunk, nothing is wanted",
    from: enlargedA1,
    transition: focus({ kind: "none" }, lost(100, 1, 11)),
    to: state(null, ["100:1", { appliedPt: 3, windowId: 11, shrinkQueued: true }]),
    actions: [
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "observe_after_loss", pid: 100 },
    ],
  },
  {
    name: "focus to an excluded window: skipped with the reason, the enlarged one shrunk",
    from: enlargedA1,
    transition: focus({ kind: "excluded", pid: 200, windowId: 21 }, lost(100, 1, 11)),
    to: state(null, ["100:1", { appliedPt: 3, windowId: 11, shrinkQueued: true }]),
    actions: [
      skipLine("focus_gained", 200, null, 21, "the title matches --exclude-title"),
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "observe_after_loss", pid: 100 },
    ],
  },
  {
    name: "focus to an ambiguous window of the same kitty: nothing grown, the old one shrunk",
    from: enlargedA1,
    transition: focus(
      {
        kind: "unlocated",
        windowId: 12,
        located: { kind: "ambiguous", pid: 100, reason: "kitty 100 reports none focused" },
      },
      lost(100, 1, 11),
    ),
    to: state(null, ["100:1", { appliedPt: 3, windowId: 11, shrinkQueued: true }]),
    actions: [
      {
        kind: "line",
        line: {
          event: "focus_gained",
          pid: 100,
          osWindowId: null,
          windowId: 12,
          status: "ambiguous",
          attempts: 0,
          text: "kitty 100 reports none focused",
          category: null,
        },
      },
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "observe_after_loss", pid: 100 },
    ],
  },
  {
    name: "a kitty that cannot be reached: failed with its category, nothing queued",
    from: EMPTY_FOCUS_STATE,
    transition: focus({
      kind: "unlocated",
      windowId: 5,
      located: { kind: "unknown", pid: 100, reason: "kitty 100: timed out", category: "timeout" },
    }),
    to: EMPTY_FOCUS_STATE,
    actions: [{
      kind: "line",
      line: {
        event: "focus_gained",
        pid: 100,
        osWindowId: null,
        windowId: 5,
        status: "failed",
        attempts: 0,
        text: "kitty 100: timed out",
        category: "timeout",
      },
    }],
  },
  {
    name: "focus leaves a pinned window: it is left as it is",
    from: state("100:1", ["100:1", { appliedPt: 3, windowId: 11, pinned: true }]),
    transition: focus(located(100, 2, 12), lost(100, 1, 11)),
    to: state(
      "100:2",
      ["100:1", { appliedPt: 3, windowId: 11, pinned: true }],
      ["100:2", { windowId: 12 }],
    ),
    actions: [{ kind: "queue_grow", key: "100:2", pid: 100 }],
  },
  {
    name: "focus leaves a window that is not enlarged: a skip line says so",
    from: state(null, ["100:1", { windowId: 11 }]),
    transition: focus({ kind: "none" }, lost(100, 1, 11)),
    to: state(null, ["100:1", { windowId: 11 }]),
    actions: [
      skipLine("focus_lost", 100, 1, 11, "not enlarged"),
      { kind: "observe_after_loss", pid: 100 },
    ],
  },
  {
    name: "focus leaves a window whose grow may still be queued: its shrink is queued behind it",
    from: state("100:1", ["100:1", { windowId: 11 }]),
    transition: focus({ kind: "none" }, lost(100, 1, 11)),
    to: state(null, ["100:1", { windowId: 11, shrinkQueued: true }]),
    actions: [
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "observe_after_loss", pid: 100 },
    ],
  },
  {
    name: "focus leaves an OS window never seen: not enlarged",
    from: EMPTY_FOCUS_STATE,
    transition: focus({ kind: "none" }, lost(100, 1, 11)),
    to: EMPTY_FOCUS_STATE,
    actions: [
      skipLine("focus_lost", 100, 1, 11, "not enlarged"),
      { kind: "observe_after_loss", pid: 100 },
    ],
  },
  {
    name: "a crash-record window that lost focus meanwhile is shrunk on the first transition",
    from: state(null, ["100:active", { appliedPt: 3, restored: true }]),
    transition: focus(located(200, 1, 21)),
    to: state(
      "200:1",
      ["100:active", { appliedPt: 3, restored: true, shrinkQueued: true }],
      ["200:1", { windowId: 21 }],
    ),
    actions: [
      { kind: "queue_shrink", key: "100:active", pid: 100 },
      { kind: "queue_grow", key: "200:1", pid: 200 },
    ],
  },
  {
    name: "shutdown: every enlarged window is unpinned and shrunk back, nothing wanted",
    from: state(
      "100:1",
      ["100:1", { appliedPt: 3, windowId: 11 }],
      ["200:1", { appliedPt: 3, pinned: true }],
      ["300:1", { appliedPt: 3, shrinkQueued: true }],
    ),
    transition: { kind: "shutdown" },
    to: state(
      null,
      ["100:1", { appliedPt: 3, windowId: 11, shrinkQueued: true }],
      ["200:1", { appliedPt: 3, shrinkQueued: true }],
      ["300:1", { appliedPt: 3, shrinkQueued: true }],
    ),
    actions: [
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "queue_shrink", key: "200:1", pid: 200 },
    ],
  },
  {
    name: "unpin: the focused one is grown, an enlarged unfocused one shrunk",
    from: state(
      "100:2",
      ["100:1", { appliedPt: 3, pinned: true }],
      ["100:2", { pinned: true }],
    ),
    transition: { kind: "unpin" },
    to: state("100:2", ["100:1", { appliedPt: 3, shrinkQueued: true }], ["100:2", {}]),
    actions: [
      { kind: "queue_shrink", key: "100:1", pid: 100 },
      { kind: "queue_grow", key: "100:2", pid: 100 },
    ],
  },
  {
    name: "grow due for the wanted window: send +deltaPt",
    from: state("100:1", ["100:1", {}]),
    transition: { kind: "grow_due", key: "100:1", deltaPt: 3 },
    to: state("100:1", ["100:1", {}]),
    actions: [{ kind: "send", key: "100:1", deltaPt: 3 }],
  },
  {
    name: "grow due after focus moved on: skipped",
    from: state(null, ["100:1", { windowId: 11 }]),
    transition: { kind: "grow_due", key: "100:1", deltaPt: 3 },
    to: state(null, ["100:1", { windowId: 11 }]),
    actions: [skipLine("focus_gained", 100, 1, 11, "focus moved on")],
  },
  {
    name: "grow due for a pinned window: skipped",
    from: state("100:1", ["100:1", { pinned: true }]),
    transition: { kind: "grow_due", key: "100:1", deltaPt: 3 },
    to: state("100:1", ["100:1", { pinned: true }]),
    actions: [skipLine("focus_gained", 100, 1, null, "pinned")],
  },
  {
    name: "grow done: the points are applied and the record saved",
    from: state("100:1", ["100:1", { windowId: 11 }]),
    transition: {
      kind: "grow_done",
      key: "100:1",
      window: { ...newOsWindow(100, 1), windowId: 11 },
      result: ok,
      deltaPt: 3,
    },
    to: state("100:1", ["100:1", { windowId: 11, appliedPt: 3 }]),
    actions: [
      { kind: "save" },
      {
        kind: "line",
        line: {
          event: "focus_gained",
          pid: 100,
          osWindowId: 1,
          windowId: 11,
          status: "success",
          attempts: 1,
          text: null,
          category: null,
        },
      },
    ],
  },
  {
    name: "shrink due after focus came back: skipped, the queued mark cleared",
    from: state("100:1", ["100:1", { appliedPt: 3, shrinkQueued: true, restored: true }]),
    transition: { kind: "shrink_due", key: "100:1" },
    to: state("100:1", ["100:1", { appliedPt: 3 }]),
    actions: [skipLine("focus_lost", 100, 1, null, "focus came back")],
  },
  {
    name: "shrink due: send minus the applied points",
    from: state(null, ["100:1", { appliedPt: 4, shrinkQueued: true }]),
    transition: { kind: "shrink_due", key: "100:1" },
    to: state(null, ["100:1", { appliedPt: 4 }]),
    actions: [{ kind: "send", key: "100:1", deltaPt: -4 }],
  },
  {
    name: "kitty gone during a shrink: its windows and process are forgotten",
    from: state(null, ["100:1", { appliedPt: 3 }], ["100:2", {}], ["200:1", {}]),
    transition: {
      kind: "shrink_done",
      key: "100:1",
      window: { ...newOsWindow(100, 1), appliedPt: 3 },
      result: { ...ok, status: "failed", error: "kitty 100: gone", category: "closed" },
      processAlive: false,
    },
    to: state(null, ["200:1", {}]),
    actions: [
      { kind: "save" },
      {
        kind: "line",
        line: {
          event: "focus_lost",
          pid: 100,
          osWindowId: 1,
          windowId: null,
          status: "failed",
          attempts: 1,
          text: "kitty 100: gone",
          category: "closed",
        },
      },
      { kind: "forget_kitty", pid: 100 },
    ],
  },
  {
    name:
      "kitty < 0.35 reset (reset_all): every window of that kitty is normal, the focused one grown again",
    from: state("100:2", ["100:1", { appliedPt: 3 }], ["100:2", { appliedPt: 3, restored: true }]),
    transition: {
      kind: "shrink_done",
      key: "100:1",
      window: { ...newOsWindow(100, 1), appliedPt: 3 },
      result: { ...ok, effect: "reset_all" },
      processAlive: true,
    },
    to: state("100:2", ["100:1", {}], ["100:2", {}]),
    actions: [
      { kind: "queue_grow", key: "100:2", pid: 100 },
      { kind: "save" },
      {
        kind: "line",
        line: {
          event: "focus_lost",
          pid: 100,
          osWindowId: 1,
          windowId: null,
          status: "success",
          attempts: 1,
          text: null,
          category: null,
          effect: "reset_all",
        },
      },
    ],
  },
  {
    name: "an OS window that is gone when grown: forgotten, reported skipped",
    from: state("100:1", ["100:1", {}]),
    transition: {
      kind: "grow_done",
      key: "100:1",
      window: newOsWindow(100, 1),
      result: { ...ok, status: "skipped", error: "OS window 1 is gone", effect: "gone" },
      deltaPt: 3,
    },
    to: state("100:1"),
    actions: [{
      kind: "line",
      line: {
        event: "focus_gained",
        pid: 100,
        osWindowId: 1,
        windowId: null,
        status: "skipped",
        attempts: 1,
        text: "OS window 1 is gone",
        category: null,
      },
    }],
  },
];

for (const { name, from, transition, to, actions } of cases) {
  Deno.test(`planFocus: ${name}`, () => {
    const plan = planFocus(from, transition);
    assert.deepEqual(plan.actions, actions);
    assert.deepEqual(plan.state, to);
  });
}

Deno.test("planFocus: pin pins only the wanted window; restore adopts the crash record", () => {
  const wanted = state("100:1", ["100:1", {}], ["200:1", {}]);
  assert.deepEqual(
    planFocus(wanted, { kind: "pin", key: "100:1" }).state,
    state("100:1", ["100:1", { pinned: true }], ["200:1", {}]),
  );
  assert.deepEqual(planFocus(wanted, { kind: "pin", key: "200:1" }).state, wanted);
  const restored = planFocus(EMPTY_FOCUS_STATE, {
    kind: "restore",
    windows: [{ pid: 100, osWindowId: null, deltaPt: 2 }],
  });
  assert.deepEqual(restored.state, state(null, ["100:active", { appliedPt: 2, restored: true }]));
  assert.deepEqual(restored.actions, []);
});

Deno.test("planFocus: a transition never changes the state it was given", () => {
  const from = state("100:1", ["100:1", { appliedPt: 3, windowId: 11 }]);
  const before = structuredClone(from);
  planFocus(from, focus(located(200, 1, 21), lost(100, 1, 11)));
  planFocus(from, { kind: "shutdown" });
  assert.deepEqual(from, before);
});
