import type { FocusedWindow, FocusTransition } from "../compositor/focus_source.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { KeyedSerialQueue } from "../resilience/keyed_serial_queue.ts";
import { waitAtMost } from "../resilience/deadline.ts";
import type { FontChangeResult, KittyRegistry } from "../kitty/registry.ts";
import type { EnlargedKitty } from "./enlarged_record.ts";
import { actionLine, type FocusActionLine, type PlannedLine } from "./focus_action_line.ts";
import { type FocusPlan, type GainedWindow, planFocus } from "./focus_plan.ts";
import {
  EMPTY_FOCUS_STATE,
  enlargedRecord,
  type FocusState,
  type OsWindowState,
  type OsWindowView,
  osWindowView,
  withoutOsWindows,
} from "./focus_state.ts";
import {
  awaitsSocket,
  FRESH_KITTY_GROW_DELAYS_MS,
  FRESH_KITTY_LOCATE_DELAYS_MS,
  isFreshKitty,
  pollOnSchedule,
} from "./fresh_kitty_grace.ts";
import {
  FOCUS_REPORT_POLL_MS,
  FOCUS_REPORT_WAIT_MS,
  type LocateResult,
  type OsWindowLocator,
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
 * How long after a kitty window opens its background check starts: kitty 0.26 maps the window
 * before it opens its socket and spawns the shell that carries its public key.
 */
export const OPENED_KITTY_CHECK_DELAY_MS = 2000;

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
  /**
   * Windows whose title matches one of these are never resized (`--exclude-title`).
   * @default none
   */
  excludeTitles?: readonly RegExp[];
  /**
   * Maps the compositor's window PID to kitty's PID (see kitty_pid.ts).
   * @default the identity
   */
  resolvePid?: (pid: number) => Promise<number>;
  /** Whether a process still exists (a dead kitty is no longer enlarged). */
  isAlive: (pid: number) => boolean;
  /** Start time of a process (ms since epoch), to recognise PID reuse in the crash record. */
  startTimeMs: (pid: number) => Promise<number | null>;
  /**
   * Starts a kitty's check without waiting for it (registry `checkInBackground`): a kitty window
   * that opens is checked before it first gets focus.
   * @default no background checks
   */
  checkInBackground?: (pid: number) => void;
  /**
   * Persists the enlarged OS windows (crash repair); called after every change.
   * @default not persisted
   */
  saveRecord?: (enlarged: EnlargedKitty[]) => Promise<void>;
  /**
   * Waits, timers and latencies.
   * @default {@link systemClock}
   */
  clock?: Clock;
}

/**
 * The focus tracker: turns focus transitions into font changes so that exactly the focused kitty
 * **OS window** is enlarged. On A -> B it shrinks A's OS window only if tether enlarged it, grows
 * B's only if B is a kitty window it can map to one OS window (see {@link OsWindowLocator}), and
 * touches nothing else — two OS windows of one kitty process are two separate units. Each change
 * is one coalesced command (`+3`, not three `+1`). Commands to one kitty run in order; a slow or
 * stopped kitty never delays another. Every action produces one {@link FocusActionLine}.
 *
 * What to do is decided by {@link planFocus} (focus_plan.ts, pure); this class keeps the state it
 * returns, the per-kitty command queues, the locator and kitty I/O, and applies the actions.
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
  /** What the focus decision reads and changes (focus_plan.ts). */
  #state: FocusState = EMPTY_FOCUS_STATE;
  /** Commands to one kitty run in order; other kitties are never held up by them. */
  readonly #commands = new KeyedSerialQueue<number>();
  /** Start time per kitty PID (null: unreadable), for the crash record and freshness. */
  readonly #startTimes = new Map<number, number | null>();
  #decisions: Promise<void> = Promise.resolve();
  /** Transitions received so far: a decision knows whether a newer one is waiting. */
  #received = 0;
  /** Crash-record saves and output lines, in the order decided (see {@link #emit}). */
  #output: Promise<void> = Promise.resolve();
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
    const windows = [];
    for (const entry of record) {
      if (!this.#options.isAlive(entry.pid)) continue;
      const startTimeMs = await this.#options.startTimeMs(entry.pid);
      if (entry.start_time_ms !== null && startTimeMs !== entry.start_time_ms) continue;
      this.#startTimes.set(entry.pid, startTimeMs);
      windows.push({ pid: entry.pid, osWindowId: entry.os_window_id, deltaPt: entry.delta_pt });
    }
    this.#apply(planFocus(this.#state, { kind: "restore", windows }), this.#clock.now());
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
    const key = this.#state.wanted;
    const window = key === null ? undefined : this.#state.windows.get(key);
    if (key === null || window === undefined) return null;
    // Its grow may be queued: pin the window as it is once that ran.
    await this.#commands.idle(window.pid);
    this.#state = planFocus(this.#state, { kind: "pin", key }).state;
    return this.#state.windows.get(key)?.pinned ? osWindowView(this.#state, key) : null;
  }

  /**
   * Unpins every pinned OS window and brings it in line at once: shrunk if it is enlarged and not
   * focused, grown if it is focused and not enlarged. Resolves to the windows unpinned.
   */
  async unpin(): Promise<OsWindowView[]> {
    await this.#decisions;
    const pinned = [...this.#state.windows].filter(([, window]) => window.pinned);
    this.#apply(planFocus(this.#state, { kind: "unpin" }), this.#clock.now());
    return pinned.map(([key]) => osWindowView(this.#state, key));
  }

  /** Resolves once every queued decision and command has finished. */
  async idle(): Promise<void> {
    // A command can queue another (a re-grow after a reset): wait until nothing new was queued.
    for (;;) {
      const decisions = this.#decisions;
      await decisions;
      await this.#commands.idle();
      await this.#output;
      if (this.#decisions === decisions && this.#commands.keys().length === 0) return;
    }
  }

  /** What the tracker knows per OS window: points applied, compositor window, focus, pin. */
  osWindows(): OsWindowView[] {
    return [...this.#state.windows.keys()].map((key) => osWindowView(this.#state, key));
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
      this.#apply(planFocus(this.#state, { kind: "shutdown" }), this.#clock.now());
      await this.idle();
    })();
    await waitAtMost(work, deadline - this.#clock.now(), this.#clock);
    await this.#output;
  }

  async #decide(transition: FocusTransition, arrivedAt: number, sequence: number): Promise<void> {
    const gained = await this.#gained(transition.focused, sequence);
    const lost = transition.previous;
    const lostRef = lost !== null && this.#isKitty(lost) ? this.#options.locator.peek(lost) : null;
    const lostWindow = lostRef === null ? null : { ref: lostRef, windowId: lost!.windowId };
    this.#apply(planFocus(this.#state, { kind: "focus", gained, lost: lostWindow }), arrivedAt);
    this.#forgetDeadKitties();
  }

  async #gained(focused: FocusedWindow | null, sequence: number): Promise<GainedWindow> {
    if (focused === null || !this.#isKitty(focused)) return { kind: "none" };
    const windowId = focused.windowId;
    if (this.#excluded(focused)) return { kind: "excluded", pid: focused.pid, windowId };
    const located = await this.#locate(focused, sequence);
    return located.kind === "found"
      ? { kind: "located", ref: located.window, windowId }
      : { kind: "unlocated", windowId, located };
  }

  /**
   * Locates the OS window of `gained`. A kitty that just opened has no socket yet (kitty 0.26
   * maps its window first): while it is fresh and keeps focus, a `not_configured` answer is
   * asked again on {@link FRESH_KITTY_LOCATE_DELAYS_MS}.
   */
  async #locate(gained: FocusedWindow, sequence: number): Promise<LocateResult> {
    const stillFocused = () => this.#received === sequence;
    const locate = () => this.#options.locator.locate(gained, stillFocused);
    const located = await locate();
    if (!awaitsSocket(located)) return located;
    const startTimeMs = await this.#options.startTimeMs(located.pid);
    if (!isFreshKitty(startTimeMs, this.#clock.now())) return located;
    const keepAsking = (last: LocateResult) => awaitsSocket(last) && stillFocused();
    return await pollOnSchedule(
      FRESH_KITTY_LOCATE_DELAYS_MS,
      this.#clock,
      located,
      keepAsking,
      locate,
    );
  }

  /** Drops idle records of kitties that exited, so a long session does not accumulate them. */
  #forgetDeadKitties(): void {
    const pids = new Set([...this.#startTimes.keys(), ...this.#pidsWithWindows()]);
    for (const pid of pids) {
      if (this.#options.isAlive(pid)) continue;
      const idle = () =>
        [...this.#state.windows].every(([key, window]) =>
          window.pid !== pid || (window.appliedPt === 0 && key !== this.#state.wanted)
        );
      if (!idle()) continue;
      this.#commands.idle(pid).then(() => {
        if (idle()) this.#forgetKitty(pid);
      });
    }
  }

  #pidsWithWindows(): number[] {
    return [...this.#state.windows.values()].map((window) => window.pid);
  }

  #forgetKitty(pid: number): void {
    this.#state = withoutOsWindows(this.#state, (_, window) => window.pid === pid);
    this.#startTimes.delete(pid);
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

  async #startTime(pid: number): Promise<number | null> {
    if (!this.#startTimes.has(pid) || this.#startTimes.get(pid) === null) {
      this.#startTimes.set(pid, await this.#options.startTimeMs(pid));
    }
    return this.#startTimes.get(pid) ?? null;
  }

  /**
   * Takes `plan` on: its state, then its actions in order. Returns its `send` (the font change
   * the running grow or shrink is to make), if any.
   */
  #apply(plan: FocusPlan, arrivedAt: number): { key: string; deltaPt: number } | null {
    this.#state = plan.state;
    let send = null;
    for (const action of plan.actions) {
      switch (action.kind) {
        case "line":
          this.#emit(action.line, arrivedAt);
          break;
        case "queue_grow":
          this.#commands.run(action.pid, () => this.#grow(action.key, arrivedAt));
          break;
        case "queue_shrink":
          this.#commands.run(action.pid, () => this.#shrink(action.key, arrivedAt));
          break;
        case "send":
          send = action;
          break;
        case "save":
          this.#save();
          break;
        case "forget_kitty":
          this.#startTimes.delete(action.pid);
          this.#options.locator.forgetKitty(action.pid);
          break;
        case "observe_after_loss":
          if (!this.#options.isAlive(action.pid)) break;
          this.#options.locator.observeAfterLoss(action.pid).catch(() => {});
          break;
      }
    }
    return send;
  }

  async #grow(key: string, arrivedAt: number): Promise<void> {
    const deltaPt = this.#options.deltaPt;
    const send = this.#apply(planFocus(this.#state, { kind: "grow_due", key, deltaPt }), arrivedAt);
    const window = this.#state.windows.get(key);
    if (send === null || window === undefined) return;
    const result = await this.#growWithGrace(key, window);
    if (result.status === "success") await this.#startTime(window.pid);
    const done = { kind: "grow_done", key, window, result, deltaPt } as const;
    this.#apply(planFocus(this.#state, done), arrivedAt);
  }

  /**
   * One grow ({@link #growOnce}). On kitty < 0.35 a grow that finds another OS window active
   * (kitty has not seen the keyboard focus move yet) is tried again every
   * {@link FOCUS_REPORT_POLL_MS} for up to {@link FOCUS_REPORT_WAIT_MS}, as long as the window
   * keeps focus.
   */
  async #growWithGrace(key: string, window: OsWindowState): Promise<FontChangeResult> {
    const deadline = this.#clock.now() + FOCUS_REPORT_WAIT_MS;
    for (;;) {
      const result = await this.#growOnce(key, window);
      if (result.effect !== "not_active" || this.#state.wanted !== key) return result;
      if (this.#clock.now() >= deadline) return result;
      await this.#clock.sleep(FOCUS_REPORT_POLL_MS);
    }
  }

  /**
   * One grow; for a just-opened kitty, `not_configured` is tried again on
   * {@link FRESH_KITTY_GROW_DELAYS_MS} while the window keeps focus. `attempts` counts every
   * command sent, over all tries (README).
   */
  async #growOnce(key: string, window: OsWindowState): Promise<FontChangeResult> {
    const fresh = isFreshKitty(await this.#startTime(window.pid), this.#clock.now());
    let attempts = 0;
    const keepTrying = (last: FontChangeResult | null) =>
      last === null || (last.status === "not_configured" && this.#state.wanted === key);
    const last = await pollOnSchedule(
      fresh ? FRESH_KITTY_GROW_DELAYS_MS : [0],
      this.#clock,
      null,
      keepTrying,
      async () => {
        const result = await this.#options.kitty.changeOsWindowFontSize(
          window.pid,
          window.osWindowId,
          this.#options.deltaPt,
          { allowReset: false },
        );
        attempts += result.attempts;
        return result;
      },
    );
    return { ...last!, attempts };
  }

  async #shrink(key: string, arrivedAt: number): Promise<void> {
    const send = this.#apply(planFocus(this.#state, { kind: "shrink_due", key }), arrivedAt);
    const window = this.#state.windows.get(key);
    if (send === null || window === undefined) return;
    const result = await this.#options.kitty.changeOsWindowFontSize(
      window.pid,
      window.osWindowId,
      send.deltaPt,
      { allowReset: true },
    );
    const processAlive = this.#options.isAlive(window.pid);
    const done = { kind: "shrink_done", key, window, result, processAlive } as const;
    this.#apply(planFocus(this.#state, done), arrivedAt);
  }

  #save(): void {
    const save = this.#options.saveRecord;
    if (save === undefined) return;
    const enlarged = enlargedRecord(this.#state, (pid) => this.#startTimes.get(pid) ?? null);
    this.#output = this.#output.then(() => save(enlarged)).catch(() => {});
  }

  /**
   * Emits after every crash-record save queued before it: a `focus_gained … success` line means
   * the record already says so, so a crash right after the line (SIGKILL) never leaves an
   * enlarged window out of the record, or a shrunk one in it.
   */
  #emit(line: PlannedLine, arrivedAt: number): void {
    const text = actionLine(line, this.#clock.now(), arrivedAt);
    this.#output = this.#output.then(() => this.#options.emit(text)).catch(() => {});
  }
}
