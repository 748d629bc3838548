import type { FontChangeResult } from "../kitty/registry.ts";
import type { PlannedLine } from "./focus_action_line.ts";
import {
  type FocusState,
  osWindowKey,
  type OsWindowState,
  withOsWindow,
  withoutOsWindows,
} from "./focus_state.ts";
import type { LocateResult, OsWindowRef } from "./os_window_locator.ts";

/** What gained focus, once the tracker has located it. */
export type GainedWindow =
  /** Nothing, or a window that is not a kitty. */
  | { readonly kind: "none" }
  /** A kitty window whose title matches `--exclude-title`. */
  | { readonly kind: "excluded"; readonly pid: number | null; readonly windowId: number }
  /** A kitty window mapped to one of its kitty's OS windows. */
  | { readonly kind: "located"; readonly ref: OsWindowRef; readonly windowId: number }
  /** A kitty window that could not be mapped (moved on, ambiguous, kitty not reachable). */
  | {
    readonly kind: "unlocated";
    readonly windowId: number;
    readonly located: Exclude<LocateResult, { kind: "found" }>;
  };

/** The kitty OS window that lost focus, as the locator last bound it. */
export interface LostWindow {
  /** Its OS window. */
  readonly ref: OsWindowRef;
  /** The compositor window that lost focus. */
  readonly windowId: number;
}

/** What happened, as the focus decision sees it. */
export type TrackerTransition =
  /** Focus moved (`lost` null: no kitty OS window known to have had it). */
  | { readonly kind: "focus"; readonly gained: GainedWindow; readonly lost: LostWindow | null }
  /** Adopt OS windows an earlier run left enlarged (its crash record, already vetted). */
  | { readonly kind: "restore"; readonly windows: readonly RestoredWindow[] }
  /** `tether focus pin` for OS window `key` (the focused one once queued commands ran). */
  | { readonly kind: "pin"; readonly key: string }
  /** `tether focus unpin`. */
  | { readonly kind: "unpin" }
  /** SIGTERM: nothing is wanted any more; shrink everything enlarged. */
  | { readonly kind: "shutdown" }
  /** A queued grow of `key` by `deltaPt` points is about to run. */
  | { readonly kind: "grow_due"; readonly key: string; readonly deltaPt: number }
  /** A grow of `window` (as it was when it started) ended in `result`. */
  | GrowDone
  /** A queued shrink of `key` is about to run. */
  | { readonly kind: "shrink_due"; readonly key: string }
  /** A shrink of `window` ended in `result`; `processAlive` read right after. */
  | ShrinkDone;

/** An OS window from the crash record (`osWindowId` null: kitty's active one). */
interface RestoredWindow {
  readonly pid: number;
  readonly osWindowId: number | null;
  /** Points the earlier run applied. */
  readonly deltaPt: number;
}

interface GrowDone {
  readonly kind: "grow_done";
  readonly key: string;
  readonly window: OsWindowState;
  readonly result: FontChangeResult;
  /** Points a successful grow applied. */
  readonly deltaPt: number;
}

interface ShrinkDone {
  readonly kind: "shrink_done";
  readonly key: string;
  readonly window: OsWindowState;
  readonly result: FontChangeResult;
  readonly processAlive: boolean;
}

/** What the tracker does for a plan, in order. */
export type FocusAction =
  /** Emit this action line. */
  | { readonly kind: "line"; readonly line: PlannedLine }
  /** Queue a grow of `key` on kitty `pid`'s command queue. */
  | { readonly kind: "queue_grow"; readonly key: string; readonly pid: number }
  /** Queue a shrink of `key` on kitty `pid`'s command queue. */
  | { readonly kind: "queue_shrink"; readonly key: string; readonly pid: number }
  /** Send the font change now (this is the queued grow or shrink running): `deltaPt` points. */
  | { readonly kind: "send"; readonly key: string; readonly deltaPt: number }
  /** The crash record changed: save it. */
  | { readonly kind: "save" }
  /** kitty `pid` exited: forget its process record and the locator's bindings. */
  | { readonly kind: "forget_kitty"; readonly pid: number }
  /** Focus left kitty `pid` for another program: see what kitty reports (if it is alive). */
  | { readonly kind: "observe_after_loss"; readonly pid: number };

/** The state after a transition and what to do about it. */
export interface FocusPlan {
  /** The new state. */
  readonly state: FocusState;
  /** What to do, in order. */
  readonly actions: readonly FocusAction[];
}

/**
 * The focus decision, with no I/O: exactly the focused kitty OS window ends up enlarged. On
 * A -> B it shrinks A's OS window only if tether enlarged it (or an earlier run did), grows B's
 * only if B was located to one OS window, leaves pinned and excluded windows alone, and says in
 * an action line why anything was skipped. Grows and shrinks are queued; when one runs,
 * `grow_due` / `shrink_due` decide again (focus may have moved meanwhile) and `*_done` record
 * what kitty did.
 *
 * @example
 * ```ts
 * const { state, actions } = planFocus(EMPTY_FOCUS_STATE, {
 *   kind: "focus",
 *   gained: { kind: "located", ref: { pid: 4121, osWindowId: 1 }, windowId: 12 },
 *   lost: null,
 * }); // actions: [{ kind: "queue_grow", key: "4121:1", pid: 4121 }]
 * ```
 */
export function planFocus(state: FocusState, transition: TrackerTransition): FocusPlan {
  switch (transition.kind) {
    case "focus":
      return planFocusMove(state, transition.gained, transition.lost);
    case "restore":
      return {
        state: transition.windows.reduce(
          (next, entry) =>
            withOsWindow(next, osWindowKey(entry.pid, entry.osWindowId), {
              pid: entry.pid,
              osWindowId: entry.osWindowId,
              appliedPt: entry.deltaPt,
              restored: true,
            }),
          state,
        ),
        actions: [],
      };
    case "pin":
      if (state.wanted !== transition.key) return { state, actions: [] };
      return { state: withOsWindow(state, transition.key, { pinned: true }), actions: [] };
    case "unpin":
      return planUnpin(state);
    case "shutdown":
      return planShutdown(state);
    case "grow_due":
      return planGrowDue(state, transition.key, transition.deltaPt);
    case "grow_done":
      return planGrowDone(state, transition);
    case "shrink_due":
      return planShrinkDue(state, transition.key);
    case "shrink_done":
      return planShrinkDone(state, transition);
  }
}

function planFocusMove(
  state: FocusState,
  gained: GainedWindow,
  lost: LostWindow | null,
): FocusPlan {
  const actions: FocusAction[] = [];
  const line = (planned: PlannedLine) => actions.push({ kind: "line", line: planned });
  if (gained.kind === "excluded") {
    line(
      skip("focus_gained", gained.pid, null, gained.windowId, "the title matches --exclude-title"),
    );
  } else if (gained.kind === "unlocated") {
    line(unlocatedLine(gained.located, gained.windowId));
  }
  const gainedRef = gained.kind === "located" ? gained.ref : null;
  const wanted = gainedRef === null ? null : osWindowKey(gainedRef.pid, gainedRef.osWindowId);
  const lostKey = lost === null ? null : osWindowKey(lost.ref.pid, lost.ref.osWindowId);
  let next = state;
  // Shrink the OS window that had focus (enlarged, or about to be) and any an earlier run left
  // enlarged. One whose shrink failed is retried when it next loses focus.
  for (const [key, window] of state.windows) {
    if (key === wanted || window.shrinkQueued || window.pinned) continue;
    const enlarged = window.appliedPt > 0;
    if (key === state.wanted || (enlarged && (window.restored || key === lostKey))) {
      next = withOsWindow(next, key, { shrinkQueued: true });
      actions.push({ kind: "queue_shrink", key, pid: window.pid });
    } else if (key === lostKey) {
      line(skip("focus_lost", window.pid, window.osWindowId, lost!.windowId, "not enlarged"));
    }
  }
  if (lost !== null && !state.windows.has(lostKey!) && lostKey !== wanted) {
    line(skip("focus_lost", lost.ref.pid, lost.ref.osWindowId, lost.windowId, "not enlarged"));
  }
  next = { ...next, wanted };
  // Focus left a kitty for another program: what kitty reports then shows whether its focus
  // reports follow the compositor (os_window_locator.ts).
  if (lost !== null && lost.ref.pid !== gainedRef?.pid) {
    actions.push({ kind: "observe_after_loss", pid: lost.ref.pid });
  }
  if (gained.kind !== "located" || wanted === null) return { state: next, actions };
  next = withOsWindow(next, wanted, { ...gained.ref, windowId: gained.windowId });
  actions.push({ kind: "queue_grow", key: wanted, pid: gained.ref.pid });
  return { state: next, actions };
}

/** Why a kitty window that gained focus was not mapped to an OS window. */
type Unlocated = Extract<GainedWindow, { kind: "unlocated" }>["located"];

function unlocatedLine(located: Unlocated, windowId: number): PlannedLine {
  if (located.kind === "moved_on") {
    return skip("focus_gained", located.pid, null, windowId, "focus moved on");
  }
  const status = located.kind === "ambiguous"
    ? "ambiguous"
    : located.category === undefined || located.category === "not_configured"
    ? "not_configured"
    : "failed";
  const { pid, reason: text } = located;
  const category = located.category ?? null;
  return {
    event: "focus_gained",
    pid,
    osWindowId: null,
    windowId,
    status,
    attempts: 0,
    text,
    category,
  };
}

/** Every pinned OS window is unpinned and brought in line: grown if focused, else shrunk. */
function planUnpin(state: FocusState): FocusPlan {
  const actions: FocusAction[] = [];
  let next = state;
  for (const [key, window] of state.windows) {
    if (!window.pinned) continue;
    next = withOsWindow(next, key, { pinned: false });
    if (key === state.wanted) {
      actions.push({ kind: "queue_grow", key, pid: window.pid });
    } else if (window.appliedPt > 0 && !window.shrinkQueued) {
      next = withOsWindow(next, key, { shrinkQueued: true });
      actions.push({ kind: "queue_shrink", key, pid: window.pid });
    }
  }
  return { state: next, actions };
}

/** Nothing is wanted any more: every window is unpinned and each enlarged one shrunk. */
function planShutdown(state: FocusState): FocusPlan {
  const actions: FocusAction[] = [];
  let next: FocusState = { ...state, wanted: null };
  for (const [key, window] of state.windows) {
    const queue = window.appliedPt > 0 && !window.shrinkQueued;
    next = withOsWindow(next, key, { pinned: false, shrinkQueued: window.shrinkQueued || queue });
    if (queue) actions.push({ kind: "queue_shrink", key, pid: window.pid });
  }
  return { state: next, actions };
}

function planGrowDue(state: FocusState, key: string, deltaPt: number): FocusPlan {
  const window = state.windows.get(key);
  if (window === undefined) return { state, actions: [] };
  // Decided against by a later transition, already enlarged (crash repair), or pinned.
  if (state.wanted !== key || window.appliedPt > 0 || window.pinned) {
    const reason = window.pinned
      ? "pinned"
      : window.appliedPt > 0
      ? "already enlarged"
      : "focus moved on";
    return { state, actions: [{ kind: "line", line: windowSkip("focus_gained", window, reason) }] };
  }
  return { state, actions: [{ kind: "send", key, deltaPt }] };
}

function planGrowDone(state: FocusState, done: GrowDone): FocusPlan {
  const { key, result } = done;
  const actions: FocusAction[] = [];
  let next = state;
  if (result.status === "success") {
    next = withOsWindow(next, key, { appliedPt: done.deltaPt });
    actions.push({ kind: "save" });
  }
  const window = next.windows.get(key) ?? done.window;
  if (result.effect === "gone") next = withoutOsWindows(next, (known) => known === key);
  actions.push({ kind: "line", line: resultLine("focus_gained", window, result) });
  return { state: next, actions };
}

function planShrinkDue(state: FocusState, key: string): FocusPlan {
  const known = state.windows.get(key);
  if (known === undefined) return { state, actions: [] };
  const next = withOsWindow(state, key, { shrinkQueued: false, restored: false });
  const window = next.windows.get(key)!;
  const skipped = (reason: string): FocusPlan => ({
    state: next,
    actions: [{ kind: "line", line: windowSkip("focus_lost", window, reason) }],
  });
  if (state.wanted === key) return skipped("focus came back");
  if (window.pinned) return skipped("pinned");
  if (window.appliedPt <= 0) return skipped("not enlarged");
  return { state: next, actions: [{ kind: "send", key, deltaPt: -window.appliedPt }] };
}

function planShrinkDone(state: FocusState, done: ShrinkDone): FocusPlan {
  const { key, result, processAlive } = done;
  const pid = done.window.pid;
  const actions: FocusAction[] = [];
  let next = state;
  if (result.status === "success" || !processAlive || result.effect === "gone") {
    next = withOsWindow(next, key, { appliedPt: 0 });
    // kitty < 0.35 reset every OS window of that kitty to its configured size: nothing of it is
    // enlarged any more; the focused one, if it was, is grown again.
    if (result.effect === "reset_all") {
      for (const [other, window] of next.windows) {
        if (window.pid !== pid || window.appliedPt === 0) continue;
        next = withOsWindow(next, other, { appliedPt: 0, restored: false });
        if (other === next.wanted) actions.push({ kind: "queue_grow", key: other, pid });
      }
    }
    actions.push({ kind: "save" });
  }
  const window = next.windows.get(key) ?? done.window;
  actions.push({ kind: "line", line: resultLine("focus_lost", window, result) });
  if (result.effect === "gone") next = withoutOsWindows(next, (known) => known === key);
  if (!processAlive) {
    next = withoutOsWindows(next, (_, known) => known.pid === pid);
    actions.push({ kind: "forget_kitty", pid });
  }
  return { state: next, actions };
}

function skip(
  event: PlannedLine["event"],
  pid: number | null,
  osWindowId: number | null,
  windowId: number | null,
  reason: string,
): PlannedLine {
  return { event, pid, osWindowId, windowId, status: "skipped", attempts: 0, text: reason };
}

function windowSkip(event: PlannedLine["event"], window: OsWindowState, reason: string) {
  return skip(event, window.pid, window.osWindowId, window.windowId, reason);
}

function resultLine(
  event: PlannedLine["event"],
  window: OsWindowState,
  result: FontChangeResult,
): PlannedLine {
  return {
    event,
    pid: window.pid,
    osWindowId: window.osWindowId,
    windowId: window.windowId,
    status: result.status,
    attempts: result.attempts,
    text: result.error,
    category: result.category,
    ...(result.effect === "reset_all" ? { effect: "reset_all" as const } : {}),
  };
}
