import type { EnlargedKitty } from "./enlarged_record.ts";

/** What the tracker knows about one kitty OS window (a value: changes make a new one). */
export interface OsWindowState {
  /** kitty's PID. */
  readonly pid: number;
  /** null: kitty's active OS window (crash record of a tether that did not track OS windows). */
  readonly osWindowId: number | null;
  /** Points currently applied by tether (0 = normal size). */
  readonly appliedPt: number;
  /** The compositor window last bound to it. */
  readonly windowId: number | null;
  /** A shrink is queued and has not started: do not queue another. */
  readonly shrinkQueued: boolean;
  /** Enlarged by an earlier run (crash record) and not yet repaired. */
  readonly restored: boolean;
  /** Left as it is (neither grown nor shrunk) until unpinned. */
  readonly pinned: boolean;
}

/** Everything the focus decision reads: the known OS windows and the one that should be big. */
export interface FocusState {
  /** Known OS windows by {@link osWindowKey}. */
  readonly windows: ReadonlyMap<string, OsWindowState>;
  /** The OS window that should be enlarged once queued commands ran (the focused one). */
  readonly wanted: string | null;
}

/** No OS window known, none wanted. */
export const EMPTY_FOCUS_STATE: FocusState = Object.freeze({ windows: new Map(), wanted: null });

/** The key of OS window `osWindowId` of kitty `pid` (null: kitty's active one). */
export const osWindowKey = (pid: number, osWindowId: number | null): string =>
  `${pid}:${osWindowId ?? "active"}`;

/** A not-enlarged, unpinned OS window with no compositor window bound yet. */
export function newOsWindow(pid: number, osWindowId: number | null): OsWindowState {
  return {
    pid,
    osWindowId,
    appliedPt: 0,
    windowId: null,
    shrinkQueued: false,
    restored: false,
    pinned: false,
  };
}

/**
 * `state` with OS window `key` changed by `patch`; an unknown one is created when `patch` names
 * its `pid` and `osWindowId`, else `state` is returned as it is.
 */
export function withOsWindow(
  state: FocusState,
  key: string,
  patch: Partial<OsWindowState>,
): FocusState {
  const known = state.windows.get(key);
  const { pid, osWindowId } = patch;
  const base = known ??
    (pid !== undefined && osWindowId !== undefined ? newOsWindow(pid, osWindowId) : undefined);
  if (base === undefined) return state;
  const windows = new Map(state.windows);
  windows.set(key, { ...base, ...patch });
  return { ...state, windows };
}

/** `state` without the OS windows `drop` picks. */
export function withoutOsWindows(
  state: FocusState,
  drop: (key: string, window: OsWindowState) => boolean,
): FocusState {
  const windows = new Map([...state.windows].filter(([key, window]) => !drop(key, window)));
  return windows.size === state.windows.size ? state : { ...state, windows };
}

/** One OS window as `tether focus status` shows it. */
export interface OsWindowView {
  /** kitty's PID. */
  pid: number;
  /** kitty's OS window id (null: kitty's active one, from an old crash record). */
  os_window_id: number | null;
  /** The compositor's window id last bound to it, or null. */
  window_id: number | null;
  /** Points tether has applied to it (0 = its normal size). */
  enlarged_pt: number;
  /** Whether it is the focused OS window. */
  focused: boolean;
  /** Pinned: left as it is until unpinned. */
  pinned: boolean;
}

/** OS window `key` as `tether focus status` shows it (it must be known). */
export function osWindowView(state: FocusState, key: string): OsWindowView {
  const window = state.windows.get(key)!;
  return {
    pid: window.pid,
    os_window_id: window.osWindowId,
    window_id: window.windowId,
    enlarged_pt: window.appliedPt,
    focused: key === state.wanted,
    pinned: window.pinned,
  };
}

/** The crash record of `state`: every enlarged OS window, with its kitty's start time. */
export function enlargedRecord(
  state: FocusState,
  startTimeMs: (pid: number) => number | null,
): EnlargedKitty[] {
  return [...state.windows.values()]
    .filter((window) => window.appliedPt > 0)
    .map((window) => ({
      pid: window.pid,
      start_time_ms: startTimeMs(window.pid),
      os_window_id: window.osWindowId,
      delta_pt: window.appliedPt,
    }));
}
