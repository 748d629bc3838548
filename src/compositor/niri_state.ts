/**
 * Pure reducer for niri's event stream (protocols/compositor-ipc.md §1.7, mirroring
 * `niri-ipc/src/state.rs`): a window map plus the focused window id. Focus arrives two ways —
 * `WindowFocusChanged {id}` (id may be null) and `WindowOpenedOrChanged` whose window has
 * `is_focused: true` (a newly opened window gets focus only this way) — so both are folded here.
 * Events come decoded by {@link parseNiriEvent} (niri_codec.ts), which rejects malformed ones.
 *
 * @module
 */
import type { NiriEvent, NiriWindow } from "./niri_codec.ts";
import type { FocusedWindow } from "./focus_source.ts";

/** niri's focus-relevant state: every known window and the focused window's id. */
export interface NiriState {
  /** Windows by id. */
  readonly windows: ReadonlyMap<number, NiriWindow>;
  /** The focused window's id, or null when nothing (or a layer-shell surface) has focus. */
  readonly focusedId: number | null;
}

/** The state before the event stream's initial burst. */
export const INITIAL_NIRI_STATE: NiriState = { windows: new Map(), focusedId: null };

/**
 * Folds one decoded event into the state. Events that do not affect focus — including
 * `WindowFocusTimestampChanged` (debounced by niri, useless for live focus) and variants niri
 * adds later — return the state unchanged.
 *
 * @example
 * ```ts
 * let state = INITIAL_NIRI_STATE;
 * state = reduceNiriEvent(state, parseNiriEvent('{"WindowFocusChanged":{"id":null}}'));
 * ```
 */
export function reduceNiriEvent(state: NiriState, event: NiriEvent): NiriState {
  switch (event.type) {
    case "WindowsChanged":
      return windowsChanged(event.windows);
    case "WindowOpenedOrChanged":
      return windowOpenedOrChanged(state, event.window);
    case "WindowClosed":
      return windowClosed(state, event.id);
    case "WindowFocusChanged":
      return windowFocusChanged(state, event.id);
    default:
      return state;
  }
}

/**
 * The focused window in normalised form, or null. A focused id niri has not described yet
 * yields a window with unknown PID and app id.
 */
export function niriFocusedWindow(state: NiriState): FocusedWindow | null {
  if (state.focusedId === null) return null;
  const window = state.windows.get(state.focusedId);
  const pid = window?.pid ?? null;
  return {
    windowId: state.focusedId,
    pid: pid !== null && pid > 0 ? pid : null,
    appId: window?.app_id ?? null,
    ...(typeof window?.title === "string" ? { title: window.title } : {}),
  };
}

/**
 * The window a `WindowOpenedOrChanged` event opens — one `state` does not know yet — in
 * normalised form, or null (a change to a known window, or another event).
 *
 * @example
 * ```ts
 * niriOpenedWindow(state, { type: "WindowOpenedOrChanged", window }); // { windowId: 9, pid: 4300, appId: "kitty" }
 * ```
 */
export function niriOpenedWindow(state: NiriState, event: NiriEvent): FocusedWindow | null {
  if (event.type !== "WindowOpenedOrChanged" || state.windows.has(event.window.id)) return null;
  const { id, pid, app_id } = event.window;
  return { windowId: id, pid: pid !== null && pid > 0 ? pid : null, appId: app_id };
}

function windowsChanged(list: readonly NiriWindow[]): NiriState {
  const windows = new Map<number, NiriWindow>();
  let focusedId: number | null = null;
  for (const window of list) {
    windows.set(window.id, window);
    if (window.is_focused) focusedId = window.id;
  }
  return { windows, focusedId };
}

function windowOpenedOrChanged(state: NiriState, window: NiriWindow): NiriState {
  if (window.is_focused) {
    // "If window.is_focused, all others are unfocused" (niri-ipc state.rs).
    const windows = new Map<number, NiriWindow>();
    for (const [id, other] of state.windows) {
      windows.set(id, other.is_focused ? { ...other, is_focused: false } : other);
    }
    windows.set(window.id, window);
    return { windows, focusedId: window.id };
  }
  const windows = new Map(state.windows);
  windows.set(window.id, window);
  return { windows, focusedId: state.focusedId === window.id ? null : state.focusedId };
}

function windowClosed(state: NiriState, id: number): NiriState {
  const windows = new Map(state.windows);
  windows.delete(id);
  return { windows, focusedId: state.focusedId === id ? null : state.focusedId };
}

function windowFocusChanged(state: NiriState, focusedId: number | null): NiriState {
  const windows = new Map<number, NiriWindow>();
  for (const [id, window] of state.windows) {
    const isFocused = id === focusedId;
    windows.set(
      id,
      window.is_focused === isFocused ? window : { ...window, is_focused: isFocused },
    );
  }
  return { windows, focusedId };
}
