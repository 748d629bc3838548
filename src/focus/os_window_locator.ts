import type { FocusedWindow } from "../compositor/focus_source.ts";
import type { KittyOsWindowInfo } from "../kitty/codec.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { type ErrorCategory, toConnectionError } from "../resilience/errors.ts";

/** A kitty OS window: the unit `tether focus` enlarges. */
export interface OsWindowRef {
  /** kitty's PID. */
  pid: number;
  /** kitty's OS window id (never reused within one kitty process). */
  osWindowId: number;
}

/** What {@link OsWindowLocator.locate} found for a compositor window. */
export type LocateResult =
  | { kind: "found"; window: OsWindowRef; how: "x11" | "only" | "focused" | "cached" }
  /** Focus moved on before kitty confirmed this window: nothing learned, nothing to do. */
  | { kind: "moved_on"; pid: number }
  /**
   * Not safely known: nothing may be resized for this window (the reason says why; `category`
   * is set when kitty could not be asked).
   */
  | {
    kind: "ambiguous" | "unknown";
    pid: number | null;
    reason: string;
    category?: ErrorCategory;
  };

/** Options for {@link OsWindowLocator}. */
export interface OsWindowLocatorOptions {
  /** kitty's `ls` (throws when kitty cannot be asked). */
  listOsWindows: (pid: number) => Promise<KittyOsWindowInfo[]>;
  /** kitty PIDs to ask about an X11 window whose PID the compositor does not report (i3). */
  candidatePids: () => Promise<number[]>;
  /** Maps the compositor's window PID to kitty's PID. Default: identity. */
  resolvePid?: (pid: number) => Promise<number>;
  /**
   * How long to wait for kitty to report the compositor's newly focused window as its focused
   * OS window (Wayland, a kitty with several OS windows). Default {@link FOCUS_REPORT_WAIT_MS}.
   */
  focusWaitMs?: number;
  /** How often kitty is asked during that wait. Default {@link FOCUS_REPORT_POLL_MS}. */
  pollMs?: number;
  /** Default {@link systemClock}. */
  clock?: Clock;
}

/** Upper bound for kitty to learn of a focus change from the compositor (measured: < 50 ms). */
export const FOCUS_REPORT_WAIT_MS = 500;

/** Poll period while waiting for kitty's focus report. */
export const FOCUS_REPORT_POLL_MS = 20;

/**
 * How long kitty must report the same OS window focused before it is believed: kitty passes
 * through the focus of windows the compositor focused a moment earlier (it hears of focus
 * changes in order, a little late), and such a passing state must not be taken for the answer.
 */
const FOCUS_REPORT_STABLE_MS = 50;

interface Binding {
  window: OsWindowRef;
  /** The compositor's PID for the window when bound (ids restart with the compositor). */
  reportedPid: number | null;
}

/**
 * Maps compositor windows to kitty OS windows (README "Which kitty OS window has focus"):
 *
 * - X11 (i3; Xwayland kitties under sway): the OS window whose `platform_window_id` equals the
 *   compositor's X11 window id — exact. Without a PID (i3) every kitty with a rendezvous socket
 *   is asked.
 * - Wayland, a kitty with one OS window: that one.
 * - Wayland, several OS windows: the one kitty itself reports `is_focused`, asked right after
 *   the focus event and polled for up to {@link FOCUS_REPORT_WAIT_MS} — accepted only once kitty
 *   has been seen to follow focus (its report changed between two of tether's looks: without
 *   keyboard focus some kitty versions keep reporting the OS window created last), once it has
 *   reported it for {@link FOCUS_REPORT_STABLE_MS} in a row, only if it is not bound to another
 *   compositor window (kitty reports its *previous* focus until it has processed the new one),
 *   and only while the compositor's focus is still there. Otherwise the answer is `ambiguous`
 *   and nothing is resized.
 *
 * A binding is kept per compositor window until the OS window disappears from kitty's `ls` or
 * the PID the compositor reports for that window id changes (a restarted compositor reuses ids).
 */
export class OsWindowLocator {
  readonly #options: OsWindowLocatorOptions;
  readonly #clock: Clock;
  readonly #bindings = new Map<number, Binding>();
  /**
   * Per kitty: the OS window it last reported focused (null: none), and whether it has been seen
   * to change — proof that its reports follow the compositor's focus.
   */
  readonly #reports = new Map<number, { last: number | null; follows: boolean }>();

  constructor(options: OsWindowLocatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** The binding of a compositor window, if known, without asking kitty. */
  peek(window: FocusedWindow): OsWindowRef | null {
    const binding = this.#bindings.get(window.windowId);
    return binding !== undefined && binding.reportedPid === window.pid ? binding.window : null;
  }

  /** The compositor window an OS window is bound to, or null. */
  compositorWindowOf(ref: OsWindowRef): number | null {
    for (const [windowId, binding] of this.#bindings) {
      if (sameRef(binding.window, ref)) return windowId;
    }
    return null;
  }

  /**
   * Focus just left kitty `pid` for another program's window: a moment later (when kitty has
   * heard of it) record what kitty reports, so its next report can show whether it follows
   * focus. Never throws; a kitty that cannot be asked is simply not observed.
   */
  async observeAfterLoss(pid: number): Promise<void> {
    await this.#clock.sleep(FOCUS_REPORT_STABLE_MS * 2);
    try {
      this.#observe(pid, await this.#options.listOsWindows(pid));
    } catch {
      // the next locate asks again
    }
  }

  /** Forgets every binding of a kitty (it exited). */
  forgetKitty(pid: number): void {
    this.#reports.delete(pid);
    for (const [windowId, binding] of this.#bindings) {
      if (binding.window.pid === pid) this.#bindings.delete(windowId);
    }
  }

  /**
   * Finds the kitty OS window of compositor window `window` (a kitty by app id). `stillFocused`
   * tells whether the compositor still has focus there: kitty's focus report is only taken for
   * `window` while it does (else kitty may already report the window focus moved on to).
   */
  async locate(
    window: FocusedWindow,
    stillFocused: () => boolean = () => true,
  ): Promise<LocateResult> {
    const cached = this.peek(window);
    if (cached !== null) return { kind: "found", window: cached, how: "cached" };
    this.#bindings.delete(window.windowId);
    const pid = window.pid === null
      ? null
      : await (this.#options.resolvePid?.(window.pid) ?? Promise.resolve(window.pid));
    const x11 = window.x11WindowId ?? null;
    if (x11 !== null) return await this.#locateX11(window, pid, x11);
    if (pid === null) {
      return {
        kind: "unknown",
        pid: null,
        reason: "the compositor did not report this window's PID (niri < 25.01?)",
      };
    }
    return await this.#locateWayland(window, pid, stillFocused);
  }

  async #locateX11(window: FocusedWindow, pid: number | null, x11: number): Promise<LocateResult> {
    const candidates = pid !== null ? [pid] : await this.#options.candidatePids();
    const problems: string[] = [];
    for (const candidate of candidates) {
      let osWindows: KittyOsWindowInfo[];
      try {
        osWindows = await this.#options.listOsWindows(candidate);
      } catch (error) {
        problems.push((error as Error).message);
        continue;
      }
      this.#prune(candidate, osWindows);
      const match = osWindows.find((osWindow) => osWindow.platform_window_id === x11);
      if (match !== undefined) {
        return this.#bind(window, { pid: candidate, osWindowId: match.id }, "x11");
      }
    }
    return {
      kind: "unknown",
      pid,
      reason: `no kitty reports X11 window 0x${x11.toString(16)} (asked ${
        candidates.length === 0 ? "none: no kitty socket found" : candidates.join(", ")
      })${problems.length > 0 ? `; ${problems.join("; ")}` : ""}`,
    };
  }

  async #locateWayland(
    window: FocusedWindow,
    pid: number,
    stillFocused: () => boolean,
  ): Promise<LocateResult> {
    const deadline = this.#clock.now() + (this.#options.focusWaitMs ?? FOCUS_REPORT_WAIT_MS);
    let last = "";
    /** The OS window kitty reports focused (and unbound) since when. */
    let candidate = null as { osWindowId: number; sinceMs: number } | null;
    for (;;) {
      let osWindows: KittyOsWindowInfo[];
      try {
        osWindows = await this.#options.listOsWindows(pid);
      } catch (error) {
        const failure = toConnectionError(error, `kitty ${pid}`);
        return { kind: "unknown", pid, reason: failure.message, category: failure.category };
      }
      this.#prune(pid, osWindows);
      const follows = this.#observe(pid, osWindows);
      if (osWindows.length === 1) {
        return this.#bind(window, { pid, osWindowId: osWindows[0]!.id }, "only");
      }
      if (!stillFocused()) return { kind: "moved_on", pid };
      const focused = osWindows.filter((osWindow) => osWindow.is_focused);
      if (focused.length === 1 && !follows) {
        candidate = null;
        last = `kitty ${pid} reports OS window ${focused[0]!.id} focused but has not been seen ` +
          "to follow a focus change yet (without keyboard focus kitty may report a stale one)";
      } else if (focused.length === 1) {
        const ref = { pid, osWindowId: focused[0]!.id };
        const owner = this.compositorWindowOf(ref);
        if (owner === null || owner === window.windowId) {
          const now = this.#clock.now();
          if (candidate?.osWindowId !== ref.osWindowId) {
            candidate = { osWindowId: ref.osWindowId, sinceMs: now };
          }
          if (owner === window.windowId || now - candidate.sinceMs >= FOCUS_REPORT_STABLE_MS) {
            return this.#bind(window, ref, "focused");
          }
          last = `kitty ${pid} reported OS window ${ref.osWindowId} focused for only ${
            now - candidate.sinceMs
          } ms`;
        } else {
          candidate = null;
          last = `kitty ${pid} still reports OS window ${ref.osWindowId} focused, which is ` +
            `compositor window ${owner}`;
        }
      } else {
        candidate = null;
        last = `kitty ${pid} has ${osWindows.length} OS windows and reports ${
          focused.length === 0 ? "none" : focused.length
        } focused (no keyboard focus reaches kitty?)`;
      }
      const remainingMs = deadline - this.#clock.now();
      if (remainingMs <= 0) {
        return { kind: "ambiguous", pid, reason: `which OS window is unknown: ${last}` };
      }
      await this.#clock.sleep(Math.min(this.#options.pollMs ?? FOCUS_REPORT_POLL_MS, remainingMs));
    }
  }

  /** Records kitty's focus report; returns whether kitty has been seen to follow focus. */
  #observe(pid: number, osWindows: readonly KittyOsWindowInfo[]): boolean {
    const focused = osWindows.filter((osWindow) => osWindow.is_focused);
    const current = focused.length === 1 ? focused[0]!.id : null;
    const known = this.#reports.get(pid);
    if (known === undefined) {
      this.#reports.set(pid, { last: current, follows: false });
      return false;
    }
    if (known.last !== current) known.follows = true;
    known.last = current;
    return known.follows;
  }

  #bind(window: FocusedWindow, ref: OsWindowRef, how: "x11" | "only" | "focused"): LocateResult {
    for (const [windowId, binding] of this.#bindings) {
      if (sameRef(binding.window, ref)) this.#bindings.delete(windowId);
    }
    this.#bindings.set(window.windowId, { window: ref, reportedPid: window.pid });
    return { kind: "found", window: ref, how };
  }

  /** Drops the bindings of `pid`'s OS windows that are no longer in its `ls`. */
  #prune(pid: number, osWindows: readonly KittyOsWindowInfo[]): void {
    const alive = new Set(osWindows.map((osWindow) => osWindow.id));
    for (const [windowId, binding] of this.#bindings) {
      if (binding.window.pid === pid && !alive.has(binding.window.osWindowId)) {
        this.#bindings.delete(windowId);
      }
    }
  }
}

function sameRef(a: OsWindowRef, b: OsWindowRef): boolean {
  return a.pid === b.pid && a.osWindowId === b.osWindowId;
}
