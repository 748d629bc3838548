import type { ErrorCategory, ErrorJson } from "../resilience/errors.ts";
import { isoTimestamp, roundMs } from "../platform/time_format.ts";

/**
 * Status of one action line. `ambiguous`: the focused kitty window could not be mapped to one of
 * its kitty's OS windows for sure, so nothing was resized.
 */
export type ActionStatus = "success" | "failed" | "not_configured" | "skipped" | "ambiguous";

/** One JSON line on stdout per action (README "tether focus"). */
export interface FocusActionLine {
  /** ISO 8601 time the action finished. */
  ts: string;
  /** Which side of the transition. */
  event: "focus_gained" | "focus_lost";
  /** kitty's PID (null when the compositor did not report one and no kitty claimed the window). */
  pid: number | null;
  /** kitty's OS window id, or null when not known (or kitty's active one, for an old record). */
  os_window_id: number | null;
  /** The compositor's window id, or null (crash repair of a window seen by an earlier run). */
  window_id: number | null;
  /** Outcome. */
  status: ActionStatus;
  /** Attempts made. */
  attempts: number;
  /** From the focus event's arrival to kitty's acknowledgement (or giving up), ms. */
  latency_ms: number;
  /** What went wrong (`failed`, `not_configured`, `ambiguous`), or null. */
  error: ErrorJson | null;
  /** Why nothing was sent (`skipped`), or null. */
  reason: string | null;
  /**
   * Present when the change did more than asked: `reset_all` = kitty < 0.35 could not shrink
   * this OS window alone, so every OS window of that kitty went back to its configured size.
   */
  effect?: "reset_all";
}

/** An action line as the focus plan decides it; the tracker adds the times. */
export interface PlannedLine {
  /** Which side of the transition. */
  event: FocusActionLine["event"];
  /** kitty's PID, or null. */
  pid: number | null;
  /** kitty's OS window id, or null. */
  osWindowId: number | null;
  /** The compositor's window id, or null. */
  windowId: number | null;
  /** Outcome. */
  status: ActionStatus;
  /** Attempts made. */
  attempts: number;
  /** Why it was skipped (`skipped`) or what went wrong (anything else), or null. */
  text: string | null;
  /** The problem's category; absent: `closed` for `failed`, else `not_configured`. */
  category?: ErrorCategory | null;
  /** See {@link FocusActionLine.effect}. */
  effect?: "reset_all";
}

/**
 * The JSON line of `planned`, finished at `nowMs` for a focus event that arrived at
 * `arrivedAtMs`. A skip says why in words (`reason`); anything else that went wrong is a problem
 * with a category (`error`).
 *
 * @example
 * ```ts
 * actionLine({ event: "focus_lost", pid: 4121, osWindowId: 1, windowId: 12, status: "skipped",
 *   attempts: 0, text: "not enlarged" }, now, arrivedAt); // reason: "not enlarged", error: null
 * ```
 */
export function actionLine(
  planned: PlannedLine,
  nowMs: number,
  arrivedAtMs: number,
): FocusActionLine {
  const skipped = planned.status === "skipped";
  const { text, category } = planned;
  return {
    ts: isoTimestamp(nowMs),
    event: planned.event,
    pid: planned.pid,
    os_window_id: planned.osWindowId,
    window_id: planned.windowId,
    status: planned.status,
    attempts: planned.attempts,
    latency_ms: Math.max(0, roundMs(nowMs - arrivedAtMs)),
    error: text === null || skipped ? null : {
      category: category ?? (planned.status === "failed" ? "closed" : "not_configured"),
      message: text,
    },
    reason: skipped ? text : null,
    ...(planned.effect === undefined ? {} : { effect: planned.effect }),
  };
}
