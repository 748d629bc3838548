import type { FocusLine } from "../focus/daemon.ts";
import type { DaemonConnectionStatus, DaemonStatus } from "../resilience/daemon_status.ts";
import type { ErrorJson } from "../resilience/errors.ts";
import { humanDuration, localClockTime } from "../platform/time_format.ts";
import type { OsWindowView } from "../focus/focus_state.ts";
import type { WaybarLine } from "./waybar.ts";

/** One OS window in words: `kitty 4121 OS window 2 (compositor window 5): focused, enlarged +3 pt`. */
export function describeOsWindow(row: OsWindowView): string {
  const flags = [
    row.focused ? "focused" : null,
    row.enlarged_pt > 0 ? `enlarged +${row.enlarged_pt} pt` : "normal size",
    row.pinned ? "pinned" : null,
  ].filter((flag) => flag !== null);
  return `kitty ${row.pid} OS window ${row.os_window_id ?? "(active)"} (compositor window ${
    row.window_id ?? "–"
  }): ${flags.join(", ")}`;
}

/**
 * The `status` reply of a running `tether focus`, as far as the renderers read it: the shared
 * {@link DaemonStatus} (its upstream is the compositor) plus the tracker's own fields.
 */
export interface FocusStatus extends DaemonStatus {
  /** The compositor link. */
  connection: DaemonConnectionStatus & {
    compositor: string;
    socket_path: string | null;
    uptime_ms: number;
    since_at: string;
    next_retry_ms: number | null;
  };
  /** The focused window, or null. */
  focused: { window_id: number; pid: number | null; app_id: string | null } | null;
  /** Flags in effect. */
  settings: {
    app_ids?: string[];
    /** The single app id of trackers from before `app_ids` (shown the same way). */
    app_id?: string;
    font_delta: number;
  };
  /** Every live kitty it knows. */
  kitties: {
    pid: number;
    status: string;
    error: ErrorJson | null;
    version?: string | null;
    pooled?: boolean | null;
    last_activity_at?: string | null;
    errors?: { ts: string; category: string; message: string }[];
    enlarged_pt: number;
    focused: boolean;
    os_windows?: OsWindowView[];
  }[];
}

/**
 * One readable line for a `tether focus` event on a terminal: local time, ↑ (grow) / ↓
 * (shrink), the kitty and its window, the result and the latency; connection changes as
 * `sway: connecting → connected`.
 *
 * @example
 * ```ts
 * renderFocusLine(line); // "15:16:33 ↑ kitty 4121 window 5: grown in 9.8 ms"
 * ```
 */
export function renderFocusLine(line: FocusLine): string {
  const time = localClockTime(new Date(line.ts));
  switch (line.event) {
    case "focus_gained":
    case "focus_lost": {
      const grow = line.event === "focus_gained";
      const who = `kitty ${line.pid ?? "?"}` +
        (line.os_window_id === null ? "" : ` OS window ${line.os_window_id}`) +
        (line.window_id === null ? "" : ` (compositor window ${line.window_id})`);
      const effect = line.effect === "reset_all"
        ? " (every OS window of it reset: kitty < 0.35)"
        : "";
      const tries = line.attempts > 1 ? `, ${line.attempts} attempts` : "";
      const result = line.status === "success"
        ? `${grow ? "grown" : "shrunk"} in ${humanDuration(line.latency_ms)}${tries}${effect}`
        : line.status === "skipped"
        ? `skipped (${line.reason ?? "nothing to do"})`
        : `${
          line.status === "failed"
            ? "FAILED"
            : line.status === "ambiguous"
            ? "left alone (ambiguous)"
            : "not configured"
        } after ${humanDuration(line.latency_ms)}${tries}: ${
          line.error?.message ?? "no reason given"
        }`;
      return `${time} ${grow ? "↑" : "↓"} ${who}: ${result}`;
    }
    case "status_changed": {
      const who = "compositor" in line ? line.compositor : `kitty ${line.kitty_pid}`;
      const why = line.error === null ? "" : `: ${line.error.message}`;
      return `${time} ${who}: ${line.from} → ${line.to}${why}`;
    }
    case "reconnect_attempt": {
      const of = line.max_attempts === null ? "" : ` of ${line.max_attempts}`;
      const next = line.next_retry_ms === null
        ? ""
        : `, next in ${humanDuration(line.next_retry_ms)}`;
      return `${time} ${line.compositor}: reconnect attempt ${line.attempt}${of} failed${next}: ${line.error.message}`;
    }
  }
}

/** How long something has been up, in whole units: `under 1 s`, `42 s`, `2 min 5 s`. */
function uptime(ms: number): string {
  return ms < 1000 ? "under 1 s" : humanDuration(Math.floor(ms / 1000) * 1000);
}

/** `1 error` / `2 errors`; `nouns` for irregular plurals (`kitties`). */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : nouns}`;
}

/** `app id "kitty"` / `app ids "kitty", "kitty-dropdown"`. */
function appIdsText(appIds: readonly string[]): string {
  const quoted = appIds.map((id) => `"${id}"`).join(", ");
  return `${appIds.length === 1 ? "app id" : "app ids"} ${quoted}`;
}

/** The human `tether focus status`: the tracker, its compositor link, one block per kitty. */
export function renderFocusStatus(data: FocusStatus): string {
  const link = data.connection;
  const parts = [`${link.compositor} ${link.status}`];
  if (link.socket_path) parts[0] += ` ${link.socket_path}`;
  if (link.status === "connected") {
    parts.push(`for ${uptime(link.uptime_ms)}`);
    if (link.latency_ms !== null) parts.push(`latency ${humanDuration(link.latency_ms)}`);
  } else {
    parts.push(`since ${localClockTime(new Date(link.since_at))}`);
    if (link.next_retry_ms !== null) {
      parts.push(`next retry in ${humanDuration(link.next_retry_ms)}`);
    }
  }
  parts.push(plural(data.reconnection_count, "reconnection"));
  const lines = [
    `tether focus (pid ${data.pid}, up ${humanDuration(data.uptime_ms)}, ${
      appIdsText(data.settings.app_ids ?? [data.settings.app_id ?? "?"])
    }, ±${data.settings.font_delta} pt)`,
    `compositor: ${parts.join(", ")}` + (link.error ? `\n  ${link.error.message}` : ""),
  ];
  if (data.kitties.length === 0) lines.push("kitties: none running");
  for (const kitty of data.kitties) {
    const pooled = kitty.pooled === undefined || kitty.pooled === null
      ? "pooling undecided"
      : kitty.pooled
      ? "pooled"
      : "not pooled";
    const errorCount = kitty.errors?.length ?? 0;
    const flags = [
      kitty.focused ? "focused" : null,
      kitty.enlarged_pt > 0 ? `enlarged +${kitty.enlarged_pt} pt` : null,
      kitty.version ? `${pooled} (kitty ${kitty.version})` : pooled,
      `last activity ${
        kitty.last_activity_at ? localClockTime(new Date(kitty.last_activity_at)) : "never"
      }`,
      plural(errorCount, "error"),
    ].filter((flag) => flag !== null);
    lines.push(`kitty ${kitty.pid}: ${kitty.status} — ${flags.join(", ")}`);
    if (kitty.error) lines.push(`  ${kitty.error.message}`);
    for (const row of kitty.os_windows ?? []) lines.push(`  ${describeOsWindow(row)}`);
    const last = kitty.errors?.at(-1);
    if (last && last.message !== kitty.error?.message) {
      lines.push(
        `  last error ${localClockTime(new Date(last.ts))} [${last.category}] ${last.message}`,
      );
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * The Waybar line of `tether focus status --format waybar`: the focused kitty and its state,
 * and the compositor link. `class` is `ok`, the link's status when it is not `connected`, the
 * focused kitty's status when it is not `ready`, or `stopped` (no tracker: `data` null).
 */
export function focusWaybarLine(data: FocusStatus | null, problem: string | null): WaybarLine {
  if (data === null) {
    return {
      text: "focus off",
      tooltip: problem ?? "tether focus is not running",
      class: "stopped",
    };
  }
  const link = data.connection;
  const kitty = data.kitties.find((candidate) => candidate.focused) ?? null;
  const text = kitty === null
    ? (data.focused === null ? "no focus" : "not a kitty")
    : `kitty ${kitty.pid}${kitty.enlarged_pt > 0 ? ` +${kitty.enlarged_pt}` : ""}`;
  const tooltip = [
    `${link.compositor}: ${link.status}` + (link.error ? ` (${link.error.message})` : ""),
    kitty === null
      ? "focused window: " + (data.focused === null ? "none" : `${data.focused.app_id ?? "?"}`)
      : `kitty ${kitty.pid}: ${kitty.status}` + (kitty.error ? ` (${kitty.error.message})` : ""),
    `${plural(data.kitties.length, "kitty", "kitties")} known`,
  ].join("\n");
  const className = link.status !== "connected"
    ? link.status
    : kitty !== null && kitty.status !== "ready"
    ? kitty.status
    : "ok";
  return { text, tooltip, class: className };
}
