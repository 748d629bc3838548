import type { FocusedWindow, FocusTransition } from "../compositor/focus_source.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { ConnectionError, type ErrorCategory, type ErrorJson } from "../resilience/errors.ts";
import { isoTimestamp, roundMs } from "../platform/time_format.ts";
import { retry } from "../resilience/retry.ts";
import { schedulePolicy } from "../resilience/retry_policy.ts";
import { waitAtMost } from "../resilience/deadline.ts";
import type { FontChangeResult, KittyRegistry } from "../kitty/registry.ts";
import type { EnlargedKitty } from "./enlarged_record.ts";
import {
  FOCUS_REPORT_POLL_MS,
  FOCUS_REPORT_WAIT_MS,
  type LocateResult,
  type OsWindowLocator,
  type OsWindowRef,
} from "./os_window_locator.ts";

/**
 * What the tracker needs from the kitty side: change one OS window's font size by `deltaPt`
 * with one coalesced change (the {@link KittyRegistry} in production).
 */
export type KittyFontPort = Pick<KittyRegistry, "changeOsWindowFontSize">;

/** What the tracker needs to map compositor windows to kitty OS windows. */
export type OsWindowFinder = Pick<
  OsWindowLocator,
  "locate" | "peek" | "forgetKitty" | "observeAfterLoss"
>;

/**
 * A kitty window takes focus the moment it maps, but kitty 0.26 creates its socket (and spawns
 * the shell whose environment holds its public key) a moment later: while the kitty process is
 * younger than {@link FRESH_KITTY_MS}, a `not_configured` grow is tried again on this schedule
 * (as long as it keeps focus) before it is reported.
 */
export const FRESH_KITTY_GROW_POLICY = schedulePolicy([0, 250, 500, 1000, 1500, 2000], {
  retryOn: ["not_configured"],
});

/** How long a just-opened kitty's missing socket is waited for: the sum of the grow schedule. */
export const FRESH_KITTY_GRACE_MS = 5250;

/** How young (ms since the process started) a kitty counts as just opened. */
export const FRESH_KITTY_MS = 10_000;

/**
 * How long after a kitty window opens its background check starts: kitty 0.26 maps the window
 * before it opens its socket and spawns the shell that carries its public key.
 */
export const OPENED_KITTY_CHECK_DELAY_MS = 2000;

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

/** Options for {@link FocusTracker}. */
export interface FocusTrackerOptions {
  /** Windows with one of these app ids are kitties. */
  appIds: readonly string[];
  /** Points to grow by on focus (and shrink back by on blur). */
  deltaPt: number;
  /** Changes font sizes. */
  kitty: KittyFontPort;
  /** Maps compositor windows to kitty OS windows. */
  locator: OsWindowFinder;
  /** Receives every action line. */
  emit: (line: FocusActionLine) => void;
  /** Windows whose title matches one of these are never resized (`--exclude-title`). */
  excludeTitles?: readonly RegExp[];
  /** Maps the compositor's window PID to kitty's PID (see kitty_pid.ts). Default: identity. */
  resolvePid?: (pid: number) => Promise<number>;
  /** Whether a process still exists (a dead kitty is no longer enlarged). */
  isAlive: (pid: number) => boolean;
  /** Start time of a process (ms since epoch), to recognise PID reuse in the crash record. */
  startTimeMs: (pid: number) => Promise<number | null>;
  /**
   * Starts a kitty's check without waiting for it (registry `checkInBackground`): a kitty window
   * that opens is checked before it first gets focus. Default: no background checks.
   */
  checkInBackground?: (pid: number) => void;
  /** Persists the enlarged OS windows (crash repair); called after every change. */
  saveRecord?: (enlarged: EnlargedKitty[]) => Promise<void>;
  /** Default {@link systemClock}. */
  clock?: Clock;
}

interface WindowState {
  readonly pid: number;
  /** null: kitty's active OS window (crash record of a tether that did not track OS windows). */
  readonly osWindowId: number | null;
  /** Points currently applied by tether (0 = normal size). */
  appliedPt: number;
  /** The compositor window last bound to it. */
  windowId: number | null;
  /** A shrink is queued and has not started: do not queue another. */
  shrinkQueued: boolean;
  /** Enlarged by an earlier run (crash record) and not yet repaired. */
  restored: boolean;
  /** Left as it is (neither grown nor shrunk) until unpinned. */
  pinned: boolean;
}

interface KittyProcess {
  /** Serialises the commands sent to this kitty; other kitties are never held up by it. */
  chain: Promise<void>;
  /** Process start time, for the crash record. */
  startTimeMs: number | null;
}

const keyOf = (pid: number, osWindowId: number | null) => `${pid}:${osWindowId ?? "active"}`;

/**
 * The focus tracker: turns focus transitions into font changes so that exactly the focused kitty
 * **OS window** is enlarged. On A -> B it shrinks A's OS window only if tether enlarged it, grows
 * B's only if B is a kitty window it can map to one OS window (see {@link OsWindowLocator}), and
 * touches nothing else — two OS windows of one kitty process are two separate units. Each change
 * is one coalesced command (`+3`, not three `+1`). Commands to one kitty run in order; a slow or
 * stopped kitty never delays another. Every action produces one {@link FocusActionLine}.
 *
 * @example
 * ```ts
 * const tracker = new FocusTracker({ appIds: ["kitty"], deltaPt: 3, kitty, locator, emit: console.log, isAlive, startTimeMs });
 * await tracker.restore(await readEnlargedRecord(path));
 * tracker.onTransition({ previous: null, focused: { windowId: 5, pid: 4268, appId: "kitty" } });
 * await tracker.shutdown(1500);
 * ```
 */
export class FocusTracker {
  readonly #options: FocusTrackerOptions;
  readonly #clock: Clock;
  readonly #windows = new Map<string, WindowState>();
  readonly #processes = new Map<number, KittyProcess>();
  /** The OS window that should be enlarged once queued commands ran (the focused one). */
  #wanted: string | null = null;
  #decisions: Promise<void> = Promise.resolve();
  /** Transitions received so far: a decision knows whether a newer one is waiting. */
  #received = 0;
  #saves: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #openedTimers = new Set<ReturnType<Clock["setTimeout"]>>();

  constructor(options: FocusTrackerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Adopts the OS windows an earlier run left enlarged (its crash record). Those of kitties still
   * alive with the same start time count as enlarged: the first transition shrinks them unless
   * focused.
   */
  async restore(record: readonly EnlargedKitty[]): Promise<void> {
    for (const entry of record) {
      if (!this.#options.isAlive(entry.pid)) continue;
      const startTimeMs = await this.#options.startTimeMs(entry.pid);
      if (entry.start_time_ms !== null && startTimeMs !== entry.start_time_ms) continue;
      this.#process(entry.pid).startTimeMs = startTimeMs;
      const window = this.#window({ pid: entry.pid, osWindowId: entry.os_window_id });
      window.appliedPt = entry.delta_pt;
      window.restored = true;
    }
  }

  /** Handles one focus transition (queued: decisions are taken in arrival order). */
  onTransition(transition: FocusTransition): void {
    if (this.#stopped) return;
    const arrivedAt = this.#clock.now();
    const sequence = ++this.#received;
    this.#decisions = this.#decisions.then(() => this.#decide(transition, arrivedAt, sequence));
  }

  /**
   * A window opened: if it is a kitty, check it in the background
   * {@link OPENED_KITTY_CHECK_DELAY_MS} later (status known and first grow faster). Never
   * blocks: the check runs on the registry's own queue for that kitty.
   */
  onWindowOpened(window: FocusedWindow): void {
    const check = this.#options.checkInBackground;
    if (this.#stopped || check === undefined || !this.#isKitty(window) || window.pid === null) {
      return;
    }
    const pid = window.pid;
    const timer = this.#clock.setTimeout(() => {
      this.#openedTimers.delete(timer);
      if (this.#stopped) return;
      this.#resolve(pid).then((kittyPid) => {
        if (!this.#stopped) check(kittyPid);
      }, () => {});
    }, OPENED_KITTY_CHECK_DELAY_MS);
    this.#openedTimers.add(timer);
  }

  /**
   * Pins the focused OS window: it stays as it is (enlarged or not) until {@link unpin}, also
   * when focus leaves it. Resolves to the pinned window, or null when no kitty OS window has
   * focus.
   */
  async pin(): Promise<OsWindowView | null> {
    await this.#decisions;
    const key = this.#wanted;
    const window = key === null ? undefined : this.#windows.get(key);
    if (window === undefined) return null;
    // Its grow may be queued: pin the window as it is once that ran.
    await this.#process(window.pid).chain;
    if (this.#wanted !== key || this.#windows.get(key!) !== window) return null;
    window.pinned = true;
    return this.#view(key!, window);
  }

  /**
   * Unpins every pinned OS window and brings it in line at once: shrunk if it is enlarged and not
   * focused, grown if it is focused and not enlarged. Resolves to the windows unpinned.
   */
  async unpin(): Promise<OsWindowView[]> {
    await this.#decisions;
    const unpinned: OsWindowView[] = [];
    const now = this.#clock.now();
    for (const [key, window] of this.#windows) {
      if (!window.pinned) continue;
      window.pinned = false;
      unpinned.push(this.#view(key, window));
      if (key === this.#wanted) {
        this.#enqueue(window.pid, () => this.#grow(key, now));
      } else if (window.appliedPt > 0 && !window.shrinkQueued) {
        this.#queueShrink(key, now);
      }
    }
    return unpinned;
  }

  /** Resolves once every queued decision and command has finished. */
  async idle(): Promise<void> {
    // A command can queue another (a re-grow after a reset): wait until nothing new was queued.
    for (;;) {
      const pending = [this.#decisions, ...[...this.#processes.values()].map((k) => k.chain)];
      await Promise.all(pending);
      await this.#saves;
      const now = [this.#decisions, ...[...this.#processes.values()].map((k) => k.chain)];
      if (now.length === pending.length && now.every((work, i) => work === pending[i])) return;
    }
  }

  /** What the tracker knows per OS window: points applied, compositor window, focus, pin. */
  osWindows(): OsWindowView[] {
    return [...this.#windows].map(([key, window]) => this.#view(key, window));
  }

  /**
   * Stops taking transitions, lets running commands finish, then shrinks every OS window still
   * enlarged (pinned ones too) — all within `budgetMs`. Windows it could not shrink in time stay
   * in the crash record, so the next start repairs them.
   */
  async shutdown(budgetMs: number): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#openedTimers) this.#clock.clearTimeout(timer);
    this.#openedTimers.clear();
    const deadline = this.#clock.now() + budgetMs;
    const work = (async () => {
      await this.#decisions;
      this.#wanted = null;
      for (const [key, window] of this.#windows) {
        window.pinned = false;
        if (window.appliedPt > 0 && !window.shrinkQueued) this.#queueShrink(key, this.#clock.now());
      }
      await this.idle();
    })();
    await waitAtMost(work, deadline - this.#clock.now(), this.#clock);
    await this.#saves;
  }

  async #decide(transition: FocusTransition, arrivedAt: number, sequence: number): Promise<void> {
    const gained = transition.focused;
    const lost = transition.previous;
    let gainedRef: OsWindowRef | null = null;
    if (gained !== null && this.#isKitty(gained)) {
      const located = this.#excluded(gained) ? null : await this.#locate(gained, sequence);
      if (located === null) {
        this.#line("focus_gained", gained.pid, null, gained.windowId, "skipped", 0, arrivedAt, {
          error: "the title matches --exclude-title",
        });
      } else if (located.kind === "found") {
        gainedRef = located.window;
      } else {
        this.#unlocatedLine(gained, located, arrivedAt);
      }
    }
    const wanted = gainedRef === null ? null : keyOf(gainedRef.pid, gainedRef.osWindowId);
    const lostRef = lost !== null && this.#isKitty(lost) ? this.#options.locator.peek(lost) : null;
    const lostKey = lostRef === null ? null : keyOf(lostRef.pid, lostRef.osWindowId);

    // Shrink the OS window that had focus (enlarged, or about to be) and any an earlier run left
    // enlarged. One whose shrink failed is retried when it next loses focus.
    for (const [key, window] of this.#windows) {
      if (key === wanted || window.shrinkQueued || window.pinned) continue;
      const enlarged = window.appliedPt > 0;
      if (key === this.#wanted || (enlarged && (window.restored || key === lostKey))) {
        this.#queueShrink(key, arrivedAt);
      } else if (key === lostKey) {
        this.#line(
          "focus_lost",
          window.pid,
          window.osWindowId,
          lost!.windowId,
          "skipped",
          0,
          arrivedAt,
          {
            error: "not enlarged",
          },
        );
      }
    }
    if (lostRef !== null && !this.#windows.has(lostKey!) && lostKey !== wanted) {
      this.#line(
        "focus_lost",
        lostRef.pid,
        lostRef.osWindowId,
        lost!.windowId,
        "skipped",
        0,
        arrivedAt,
        {
          error: "not enlarged",
        },
      );
    }
    this.#wanted = wanted;
    this.#forgetDeadKitties();
    // Focus left a kitty for another program: what kitty reports then shows whether its focus
    // reports follow the compositor (os_window_locator.ts).
    const lostPid = lostRef?.pid ?? null;
    if (lostPid !== null && lostPid !== gainedRef?.pid && this.#options.isAlive(lostPid)) {
      this.#options.locator.observeAfterLoss(lostPid).catch(() => {});
    }

    if (gainedRef === null || wanted === null) return;
    const window = this.#window(gainedRef);
    window.windowId = gained!.windowId;
    this.#enqueue(gainedRef.pid, () => this.#grow(wanted, arrivedAt));
  }

  /**
   * Locates the OS window of `gained`. A kitty that just opened has no socket yet (kitty 0.26
   * maps its window first): while it is younger than {@link FRESH_KITTY_MS} and keeps focus, a
   * `not_configured` answer is asked again every 250 ms for up to the grow grace's 5.25 s.
   */
  async #locate(gained: FocusedWindow, sequence: number): Promise<LocateResult> {
    const stillFocused = () => this.#received === sequence;
    let located = await this.#options.locator.locate(gained, stillFocused);
    const notYet = (result: LocateResult) =>
      result.kind === "unknown" && result.category === "not_configured" && result.pid !== null;
    if (!notYet(located)) return located;
    const startTimeMs = await this.#options.startTimeMs((located as { pid: number }).pid);
    if (startTimeMs === null || this.#clock.now() - startTimeMs >= FRESH_KITTY_MS) return located;
    const graceMs = FRESH_KITTY_GRACE_MS;
    const deadline = this.#clock.now() + graceMs;
    while (notYet(located) && stillFocused() && !this.#stopped && this.#clock.now() < deadline) {
      await this.#clock.sleep(250);
      if (stillFocused()) located = await this.#options.locator.locate(gained, stillFocused);
    }
    return located;
  }

  #unlocatedLine(gained: FocusedWindow, located: LocateResult, arrivedAt: number): void {
    if (located.kind === "found") return;
    if (located.kind === "moved_on") {
      this.#line("focus_gained", located.pid, null, gained.windowId, "skipped", 0, arrivedAt, {
        error: "focus moved on",
      });
      return;
    }
    this.#line(
      "focus_gained",
      located.pid,
      null,
      gained.windowId,
      located.kind === "ambiguous"
        ? "ambiguous"
        : located.category === undefined || located.category === "not_configured"
        ? "not_configured"
        : "failed",
      0,
      arrivedAt,
      { error: located.reason, category: located.category ?? null },
    );
  }

  /** Drops idle records of kitties that exited, so a long session does not accumulate them. */
  #forgetDeadKitties(): void {
    for (const [pid, kitty] of this.#processes) {
      if (this.#options.isAlive(pid)) continue;
      const idleWindows = () =>
        [...this.#windows.entries()].filter(([, window]) => window.pid === pid)
          .every(([key, window]) => window.appliedPt === 0 && key !== this.#wanted);
      if (!idleWindows()) continue;
      kitty.chain.then(() => {
        if (this.#processes.get(pid) !== kitty || !idleWindows()) return;
        this.#dropKitty(pid);
      });
    }
  }

  #dropKitty(pid: number): void {
    for (const [key, window] of this.#windows) {
      if (window.pid === pid) this.#windows.delete(key);
    }
    this.#processes.delete(pid);
    this.#options.locator.forgetKitty(pid);
  }

  #isKitty(window: FocusedWindow): boolean {
    return window.appId !== null && this.#options.appIds.includes(window.appId);
  }

  #excluded(window: FocusedWindow): boolean {
    const title = window.title ?? null;
    if (title === null) return false;
    return (this.#options.excludeTitles ?? []).some((pattern) => pattern.test(title));
  }

  async #resolve(pid: number): Promise<number> {
    return this.#options.resolvePid ? await this.#options.resolvePid(pid) : pid;
  }

  #process(pid: number): KittyProcess {
    let kitty = this.#processes.get(pid);
    if (kitty === undefined) {
      kitty = { chain: Promise.resolve(), startTimeMs: null };
      this.#processes.set(pid, kitty);
    }
    return kitty;
  }

  #window(ref: { pid: number; osWindowId: number | null }): WindowState {
    const key = keyOf(ref.pid, ref.osWindowId);
    let window = this.#windows.get(key);
    if (window === undefined) {
      window = {
        pid: ref.pid,
        osWindowId: ref.osWindowId,
        appliedPt: 0,
        windowId: null,
        shrinkQueued: false,
        restored: false,
        pinned: false,
      };
      this.#windows.set(key, window);
      this.#process(ref.pid);
    }
    return window;
  }

  #view(key: string, window: WindowState): OsWindowView {
    return {
      pid: window.pid,
      os_window_id: window.osWindowId,
      window_id: window.windowId,
      enlarged_pt: window.appliedPt,
      focused: key === this.#wanted,
      pinned: window.pinned,
    };
  }

  #enqueue(pid: number, action: () => Promise<void>): void {
    const kitty = this.#process(pid);
    kitty.chain = kitty.chain.then(action, action);
  }

  #queueShrink(key: string, arrivedAt: number): void {
    const window = this.#windows.get(key)!;
    window.shrinkQueued = true;
    this.#enqueue(window.pid, () => this.#shrink(key, arrivedAt));
  }

  async #grow(key: string, arrivedAt: number): Promise<void> {
    const window = this.#windows.get(key);
    if (window === undefined) return;
    // Decided against by a later transition, already enlarged (crash repair), or pinned.
    if (this.#wanted !== key || window.appliedPt > 0 || window.pinned) {
      const reason = window.pinned
        ? "pinned"
        : window.appliedPt > 0
        ? "already enlarged"
        : "focus moved on";
      this.#windowLine("focus_gained", window, "skipped", 0, arrivedAt, reason);
      return;
    }
    const result = await this.#growWithGrace(key, window);
    if (result.status === "success") {
      window.appliedPt = this.#options.deltaPt;
      const kitty = this.#process(window.pid);
      kitty.startTimeMs ??= await this.#options.startTimeMs(window.pid);
      this.#save();
    }
    if (result.effect === "gone") this.#windows.delete(key);
    this.#resultLine("focus_gained", window, result, arrivedAt);
  }

  /**
   * One grow; for a just-opened kitty, `not_configured` is retried while it keeps focus. On
   * kitty < 0.35 a grow that finds another OS window active (kitty has not seen the keyboard
   * focus move yet) is tried again every {@link FOCUS_REPORT_POLL_MS} for up to
   * {@link FOCUS_REPORT_WAIT_MS}, as long as the window keeps focus.
   */
  async #growWithGrace(key: string, window: WindowState): Promise<FontChangeResult> {
    const deadline = this.#clock.now() + FOCUS_REPORT_WAIT_MS;
    for (;;) {
      const result = await this.#growOnce(key, window);
      if (result.effect !== "not_active" || this.#wanted !== key) return result;
      if (this.#clock.now() >= deadline) return result;
      await this.#clock.sleep(FOCUS_REPORT_POLL_MS);
    }
  }

  async #growOnce(key: string, window: WindowState): Promise<FontChangeResult> {
    const kitty = this.#process(window.pid);
    kitty.startTimeMs ??= await this.#options.startTimeMs(window.pid);
    const fresh = kitty.startTimeMs !== null &&
      this.#clock.now() - kitty.startTimeMs < FRESH_KITTY_MS;
    let last: FontChangeResult | null = null;
    // Every command sent for this grow counts, over all tries (README: `attempts`).
    let attempts = 0;
    const counted = () => ({ ...last!, attempts });
    try {
      return await retry(FRESH_KITTY_GROW_POLICY, async () => {
        if (last !== null && this.#wanted !== key) return counted(); // focus moved on: stop
        last = await this.#options.kitty.changeOsWindowFontSize(
          window.pid,
          window.osWindowId,
          this.#options.deltaPt,
          { allowReset: false },
        );
        attempts += last.attempts;
        if (fresh && last.status === "not_configured" && this.#wanted === key) {
          throw new ConnectionError("not_configured", last.error ?? "", { recoverable: true });
        }
        return counted();
      }, { clock: this.#clock });
    } catch {
      return counted();
    }
  }

  async #shrink(key: string, arrivedAt: number): Promise<void> {
    const window = this.#windows.get(key);
    if (window === undefined) return;
    window.shrinkQueued = false;
    window.restored = false;
    if (this.#wanted === key) {
      this.#windowLine("focus_lost", window, "skipped", 0, arrivedAt, "focus came back");
      return;
    }
    if (window.pinned) {
      this.#windowLine("focus_lost", window, "skipped", 0, arrivedAt, "pinned");
      return;
    }
    if (window.appliedPt <= 0) {
      this.#windowLine("focus_lost", window, "skipped", 0, arrivedAt, "not enlarged");
      return;
    }
    const result = await this.#options.kitty.changeOsWindowFontSize(
      window.pid,
      window.osWindowId,
      -window.appliedPt,
      { allowReset: true },
    );
    const alive = this.#options.isAlive(window.pid);
    if (result.status === "success" || !alive || result.effect === "gone") {
      window.appliedPt = 0;
      if (result.effect === "reset_all") this.#afterReset(window.pid, arrivedAt);
      this.#save();
    }
    this.#resultLine("focus_lost", window, result, arrivedAt);
    if (result.effect === "gone") this.#windows.delete(key);
    if (!alive) this.#dropKitty(window.pid);
  }

  /**
   * Every OS window of kitty `pid` is back at its configured size (kitty < 0.35 reset): nothing
   * of it is enlarged any more; the focused one, if it was, is grown again.
   */
  #afterReset(pid: number, arrivedAt: number): void {
    for (const [key, window] of this.#windows) {
      if (window.pid !== pid || window.appliedPt === 0) continue;
      window.appliedPt = 0;
      window.restored = false;
      if (key === this.#wanted) this.#enqueue(pid, () => this.#grow(key, arrivedAt));
    }
  }

  #save(): void {
    const save = this.#options.saveRecord;
    if (save === undefined) return;
    const enlarged: EnlargedKitty[] = [...this.#windows.values()]
      .filter((window) => window.appliedPt > 0)
      .map((window) => ({
        pid: window.pid,
        start_time_ms: this.#processes.get(window.pid)?.startTimeMs ?? null,
        os_window_id: window.osWindowId,
        delta_pt: window.appliedPt,
      }));
    this.#saves = this.#saves.then(() => save(enlarged)).catch(() => {});
  }

  #resultLine(
    event: FocusActionLine["event"],
    window: WindowState,
    result: FontChangeResult,
    arrivedAt: number,
  ): void {
    this.#line(
      event,
      window.pid,
      window.osWindowId,
      window.windowId,
      result.status,
      result.attempts,
      arrivedAt,
      {
        error: result.error,
        category: result.category,
        ...(result.effect === "reset_all" ? { effect: "reset_all" } : {}),
      },
    );
  }

  #windowLine(
    event: FocusActionLine["event"],
    window: WindowState,
    status: ActionStatus,
    attempts: number,
    arrivedAt: number,
    error: string | null,
  ): void {
    this.#line(event, window.pid, window.osWindowId, window.windowId, status, attempts, arrivedAt, {
      error,
    });
  }

  #line(
    event: FocusActionLine["event"],
    pid: number | null,
    osWindowId: number | null,
    windowId: number | null,
    status: ActionStatus,
    attempts: number,
    arrivedAt: number,
    extra: { error: string | null; category?: ErrorCategory | null; effect?: "reset_all" },
  ): void {
    const now = this.#clock.now();
    const { error: text, category, ...effect } = extra;
    // A skip says why in words; anything else that went wrong is a problem with a category.
    const skipped = status === "skipped";
    this.#options.emit({
      ts: isoTimestamp(now),
      event,
      pid,
      os_window_id: osWindowId,
      window_id: windowId,
      status,
      attempts,
      latency_ms: Math.max(0, roundMs(now - arrivedAt)),
      error: text === null || skipped ? null : {
        category: category ?? (status === "failed" ? "closed" : "not_configured"),
        message: text,
      },
      reason: skipped ? text : null,
      ...effect,
    });
  }
}
