import {
  actionCommand,
  fontSizeChangeAction,
  fontSizeChangeCommand,
  type KittyCommand,
  type KittyOsWindowInfo,
  setFontSizeCommand,
} from "./codec.ts";
import { compareKittyVersions, type KittyVersion } from "./kitty_version.ts";

/**
 * How tether changes the font of one kitty OS window, by kitty version (README "Which OS window
 * a command reaches"). Pure: the registry runs the plan, the focus model test runs it against
 * its kitty model.
 *
 * @module
 */

/**
 * The first kitty whose `change_font_size` action acts on the window it is dispatched to
 * (`boss.window_for_dispatch`, v0.35.0); before, it acts on the active OS window whatever the
 * `action` command's `match_window` says.
 */
const TARGETED_FONT_CHANGE_SINCE: KittyVersion = [0, 35, 0];

/**
 * `window`: any OS window can be named (kitty >= 0.35, `action` + `match_window`). `active`:
 * only kitty's active OS window can be changed (`set-font-size` with `all: false`), or every OS
 * window at once.
 */
export type FontTargeting = "window" | "active";

/**
 * The targeting a kitty supports: `window` from {@link TARGETED_FONT_CHANGE_SINCE} on. An unknown
 * version is `active` unless kitty proved itself >= 0.43 (the pooling probe's answer): `active`
 * never changes a window other than the one it checked.
 */
export function fontTargetingFor(
  version: KittyVersion | null,
  provedAtLeast043 = false,
): FontTargeting {
  if (version !== null) {
    return compareKittyVersions(version, TARGETED_FONT_CHANGE_SINCE) >= 0 ? "window" : "active";
  }
  return provedAtLeast043 ? "window" : "active";
}

/** What to send to change one OS window's font, or why nothing is sent. */
export type OsWindowFontPlan =
  /** One command that changes exactly that OS window. */
  | { kind: "send"; command: KittyCommand }
  /**
   * kitty < 0.35 and the OS window to shrink is not kitty's active one: `set-font-size all:true
   * size:0` puts every OS window of that kitty back to its configured size (a manual zoom in
   * any of them is lost too).
   */
  | { kind: "reset_all"; command: KittyCommand }
  /** The OS window is no longer in kitty's `ls` (closed). */
  | { kind: "gone" }
  /** kitty < 0.35 cannot grow an OS window that is not its active one. */
  | { kind: "unreachable"; reason: string };

/**
 * Plans the change of OS window `osWindowId` of a kitty by `deltaPt` points, given its `ls`.
 * `osWindowId` null means "kitty's active OS window" (a crash record from a tether that did not
 * record OS windows). With `window` targeting the command is an `action` naming a kitty window
 * inside that OS window. With `active` targeting it is `set-font-size all:false` when that OS
 * window is kitty's active one; otherwise a shrink becomes a reset of every OS window
 * (`allowReset`) and a grow is unreachable.
 *
 * @example
 * ```ts
 * planOsWindowFontChange(ls, 2, -3, "window", true); // {kind: "send", command: {cmd: "action", …}}
 * ```
 */
export function planOsWindowFontChange(
  osWindows: readonly KittyOsWindowInfo[],
  osWindowId: number | null,
  deltaPt: number,
  targeting: FontTargeting,
  allowReset: boolean,
): OsWindowFontPlan {
  if (osWindowId === null) return { kind: "send", command: fontSizeChangeCommand(deltaPt) };
  const target = osWindows.find((osWindow) => osWindow.id === osWindowId);
  if (target === undefined || target.windows.length === 0) return { kind: "gone" };
  if (targeting === "window") {
    const window = target.windows.find((candidate) => candidate.is_focused) ?? target.windows[0]!;
    return { kind: "send", command: actionCommand(fontSizeChangeAction(deltaPt), window.id) };
  }
  if (target.is_active) return { kind: "send", command: fontSizeChangeCommand(deltaPt) };
  if (deltaPt < 0 && allowReset) {
    return { kind: "reset_all", command: setFontSizeCommand({ size: 0, all: true }) };
  }
  const active = osWindows.find((osWindow) => osWindow.is_active);
  return {
    kind: "unreachable",
    reason: `kitty < ${TARGETED_FONT_CHANGE_SINCE.join(".")} changes only its active OS window, ` +
      `and that is ${
        active === undefined ? "none" : `OS window ${active.id}`
      }, not ${osWindowId} (kitty has not seen the keyboard focus move)`,
  };
}
