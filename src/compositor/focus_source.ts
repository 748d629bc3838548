import type { Environment } from "../platform/paths.ts";
import type { CompositorKind } from "./compositors.ts";
import type { Clock } from "../resilience/clock.ts";
import type { ConnectionError } from "../resilience/errors.ts";
import { exponentialPolicy, type RetryPolicy } from "../resilience/retry_policy.ts";
import type { Supervisor } from "../resilience/supervisor.ts";

/**
 * The compositor-neutral view of focus that `tether focus` consumes: which window has keyboard
 * focus (its compositor id, the PID of its client process, its app id), or nothing. niri and sway
 * sources both reduce their event streams to this, so the tracker never sees a compositor's wire
 * format.
 *
 * @module
 */

/** The focused window as every compositor source reports it. */
export interface FocusedWindow {
  /** The compositor's id for the window (niri window id, sway container id). */
  windowId: number;
  /** PID of the window's client process, when the compositor knows it. */
  pid: number | null;
  /** Wayland app id (or X11 class for Xwayland windows), when known. */
  appId: string | null;
  /**
   * The X11 window id of an X11 client (i3 `window`, sway's Xwayland `window`): kitty reports
   * the same number as `platform_window_id`, an exact map to its OS window. Absent on Wayland.
   */
  x11WindowId?: number | null;
  /** The window's title, when the compositor reports it (`--exclude-title`). */
  title?: string | null;
}

/** One change of focus: what had it before and what has it now (null = nothing focused). */
export interface FocusTransition {
  /** The window that had focus before, or null. */
  previous: FocusedWindow | null;
  /** The window that has focus now, or null. */
  focused: FocusedWindow | null;
}

/** A running focus source: emits transitions until closed. */
export interface FocusSource {
  /** Which compositor it follows. */
  readonly kind: CompositorKind;
  /** Keeps the connection up; its events and snapshot are the connection status. */
  readonly supervisor: Supervisor<unknown>;
  /** The socket path of the current (or last) connection, or null before the first. */
  socketPath(): string | null;
  /** The focus as last reported (null before the first state arrived or when nothing is focused). */
  current(): FocusedWindow | null;
  /** Drops the connection and reconnects now (re-discovering the socket). */
  reconnectNow(): void;
  /** Stops following focus and closes every connection. */
  close(): Promise<void>;
}

/** Options shared by the niri and sway focus sources. */
export interface FocusSourceOptions {
  /** Environment for socket discovery (`$NIRI_SOCKET`, `$SWAYSOCK`, `$XDG_RUNTIME_DIR`). */
  env: Environment;
  /** Called with every real focus change (never for repeats), including the first state. */
  onTransition: (transition: FocusTransition) => void;
  /**
   * Called when a window opens while the source is connected (sway `new`, niri
   * `WindowOpenedOrChanged` of an unknown id) — not for the windows of the initial state.
   */
  onWindowOpened?: (window: FocusedWindow) => void;
  /** Called for each event skipped as unusable (malformed, oversized): log it, one line. */
  onProblem?: (error: ConnectionError) => void;
  /** Connect and request timeout. Default 2000 ms (`--socket-timeout`). */
  timeoutMs?: number;
  /** Reconnect policy. Default {@link FOCUS_RECONNECT_POLICY}. */
  policy?: RetryPolicy;
  /** Health ping period. Default 15000 ms. */
  healthIntervalMs?: number;
  /** Default: the system clock. */
  clock?: Clock;
}

/**
 * Whether two focus values denote the same focus: same window id, PID and app id (niri's
 * `WindowOpenedOrChanged` repeats the focused window on every title change; sway repeats `focus`
 * when returning to a workspace).
 *
 * @example
 * ```ts
 * sameFocus({ windowId: 7, pid: 1, appId: "kitty" }, { windowId: 7, pid: 1, appId: "kitty" }); // true
 * ```
 */
export function sameFocus(a: FocusedWindow | null, b: FocusedWindow | null): boolean {
  if (a === null || b === null) return a === b;
  return a.windowId === b.windowId && a.pid === b.pid && a.appId === b.appId;
}

/**
 * Folds a stream of focus values into transitions: returns a function that takes the newest
 * focus and returns the transition it causes, or null when focus did not actually change.
 *
 * @example
 * ```ts
 * const next = focusTransitions();
 * next({ windowId: 7, pid: 1, appId: "kitty" }); // { previous: null, focused: {...7} }
 * next({ windowId: 7, pid: 1, appId: "kitty" }); // null
 * ```
 */
export function focusTransitions(
  initial: FocusedWindow | null = null,
): (focused: FocusedWindow | null) => FocusTransition | null {
  let current = initial;
  return (focused) => {
    if (sameFocus(current, focused)) return null;
    const transition = { previous: current, focused };
    current = focused;
    return transition;
  };
}

/**
 * Reconnect policy of the focus sources: 0.5 s doubling to at most 10 s (half jitter), never
 * giving up — so tether resumes well within 30 s of a restarted compositor coming back, however
 * long it was gone.
 */
export const FOCUS_RECONNECT_POLICY: RetryPolicy = exponentialPolicy({
  initialDelayMs: 500,
  multiplier: 2,
  maxDelayMs: 10_000,
  jitter: "half",
  maxAttempts: 0,
});
