/**
 * Pure reducer for niri's event stream (protocols/compositor-ipc.md §1.7, mirroring
 * `niri-ipc/src/state.rs`): a window map plus the focused window id. Focus arrives two ways —
 * `WindowFocusChanged {id}` (id may be null) and `WindowOpenedOrChanged` whose window has
 * `is_focused: true` (a newly opened window gets focus only this way) — so both are folded here.
 *
 * @module
 */
import { ConnectionError } from "../resilience/errors.ts";
import type { FocusedWindow } from "./focus_source.ts";

/** The fields of niri's `Window` that focus tracking needs (wire names). */
export interface NiriWindow {
  /** niri's window id. */
  id: number;
  /** Window title, if set. */
  title: string | null;
  /** Wayland app id, if set. */
  app_id: string | null;
  /** Client PID (niri >= 25.01; null before that and for some portal windows). */
  pid: number | null;
  /** Whether this window has keyboard focus (at most one does). */
  is_focused: boolean;
}

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
 * Folds one decoded event-stream object (`{"WindowFocusChanged":{"id":7}}`) into the state.
 * Events that do not affect focus — and variants niri adds later — return the state unchanged.
 * A known event with a malformed body throws a `protocol` {@link ConnectionError}; the caller
 * logs and skips it.
 *
 * @example
 * ```ts
 * let state = INITIAL_NIRI_STATE;
 * state = reduceNiriEvent(state, { WindowFocusChanged: { id: null } });
 * ```
 */
export function reduceNiriEvent(state: NiriState, event: unknown): NiriState {
  if (!isRecord(event)) throw malformed("an event must be a JSON object", event);
  if ("WindowsChanged" in event) return windowsChanged(event.WindowsChanged);
  if ("WindowOpenedOrChanged" in event) return windowOpenedOrChanged(state, event);
  if ("WindowClosed" in event) return windowClosed(state, event.WindowClosed);
  if ("WindowFocusChanged" in event) return windowFocusChanged(state, event.WindowFocusChanged);
  return state;
}

/**
 * The focused window in normalised form, or null. A focused id niri has not described yet
 * yields a window with unknown PID and app id.
 */
export function niriFocusedWindow(state: NiriState): FocusedWindow | null {
  if (state.focusedId === null) return null;
  const window = state.windows.get(state.focusedId);
  return {
    windowId: state.focusedId,
    pid: window?.pid ?? null,
    appId: window?.app_id ?? null,
  };
}

function windowsChanged(body: unknown): NiriState {
  if (!isRecord(body) || !Array.isArray(body.windows)) {
    throw malformed("WindowsChanged needs a windows array", body);
  }
  const windows = new Map<number, NiriWindow>();
  let focusedId: number | null = null;
  for (const raw of body.windows) {
    const window = parseWindow(raw);
    windows.set(window.id, window);
    if (window.is_focused) focusedId = window.id;
  }
  return { windows, focusedId };
}

function windowOpenedOrChanged(state: NiriState, event: Record<string, unknown>): NiriState {
  const body = event.WindowOpenedOrChanged;
  if (!isRecord(body)) throw malformed("WindowOpenedOrChanged needs a window", body);
  const window = parseWindow(body.window);
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

function windowClosed(state: NiriState, body: unknown): NiriState {
  if (!isRecord(body) || !isId(body.id)) throw malformed("WindowClosed needs an id", body);
  const windows = new Map(state.windows);
  windows.delete(body.id);
  return { windows, focusedId: state.focusedId === body.id ? null : state.focusedId };
}

function windowFocusChanged(state: NiriState, body: unknown): NiriState {
  if (!isRecord(body) || !(body.id === null || isId(body.id))) {
    throw malformed("WindowFocusChanged needs an id or null", body);
  }
  const focusedId = body.id;
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

function parseWindow(raw: unknown): NiriWindow {
  if (!isRecord(raw) || !isId(raw.id) || typeof raw.is_focused !== "boolean") {
    throw malformed("a window needs a numeric id and a boolean is_focused", raw);
  }
  return {
    id: raw.id,
    title: typeof raw.title === "string" ? raw.title : null,
    app_id: typeof raw.app_id === "string" ? raw.app_id : null,
    pid: typeof raw.pid === "number" && Number.isInteger(raw.pid) && raw.pid > 0 ? raw.pid : null,
    is_focused: raw.is_focused,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function malformed(what: string, value: unknown): ConnectionError {
  const shown = JSON.stringify(value) ?? String(value);
  return new ConnectionError(
    "protocol",
    `niri event: ${what}, got ${shown.length > 120 ? shown.slice(0, 120) + "…" : shown}`,
    { recoverable: false },
  );
}
