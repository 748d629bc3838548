import type { CompositorKind } from "./compositors.ts";
import type { FocusSource, FocusSourceOptions } from "./focus_source.ts";
import { startNiriFocusSource } from "./niri_focus_source.ts";
import { startI3FocusSource, startSwayFocusSource } from "./sway_focus_source.ts";

/** Starts following one compositor's focus. */
export type StartFocusSource = (options: FocusSourceOptions) => FocusSource;

/**
 * How each compositor's focus source starts: the one column of the compositor table
 * (compositors.ts) kept in its own file, because the sources themselves read that table
 * (socket discovery on every reconnect) and one file holding both would import itself in a
 * circle. A compositor missing here is a compile error.
 *
 * @example
 * ```ts
 * const source = FOCUS_SOURCES.sway({ env: process.env, onTransition: console.log });
 * ```
 */
export const FOCUS_SOURCES: Readonly<Record<CompositorKind, StartFocusSource>> = {
  niri: startNiriFocusSource,
  sway: startSwayFocusSource,
  i3: startI3FocusSource,
};
