import type { FocusedWindow, FocusTransition } from "../compositor/focus_source.ts";
import { type Clock, systemClock } from "../resilience/clock.ts";
import { ConnectionError, type ErrorJson } from "../resilience/errors.ts";
import { retry } from "../resilience/retry.ts";
import { schedulePolicy } from "../resilience/retry_policy.ts";
import { waitAtMost } from "../resilience/wait_at_most.ts";
import type { FontChangeResult, KittyRegistry } from "../kitty/registry.ts";
import type { EnlargedKitty } from "./enlarged_record.ts";
import { isoTimestamp, roundMs } from "../platform/time_format.ts";

/**
 * What the tracker needs from the kitty side: change one kitty's font size by `deltaPt` with
 * one coalesced command (the {@link KittyRegistry} in production).
 */
export type KittyFontPort = Pick<KittyRegistry, "changeFontSize">;

/**
 * A kitty window takes focus the moment it maps, but kitty 0.26 creates its socket (and spawns
 * the shell whose environment holds its public key) a moment later: while the kitty process is
 * younger than {@link FRESH_KITTY_MS}, a `not_configured` grow is tried again on this schedule
 * (as long as it keeps focus) before it is reported.
 */
export const FRESH_KITTY_GROW_POLICY = schedulePolicy([0, 250, 500, 1000, 1500, 2000], {
  retryOn: ["not_configured"],
});

/** How young (ms since the process started) a kitty counts as just opened. */
export const FRESH_KITTY_MS = 10_000;

/**
 * How long after a kitty window opens its background check starts: kitty 0.26 maps the window
 * before it opens its socket and spawns the shell that carries its public key.
 */
export const OPENED_KITTY_CHECK_DELAY_MS = 2000;

/** Status of one action line. */
export type ActionStatus = "success" | "failed" | "not_configured" | "skipped";

/** One JSON line on stdout per action (README "tether focus"). */
export interface FocusActionLine {
  /** ISO 8601 time the action finished. */
  ts: string;
  /** Which side of the transition. */
  event: "focus_gained" | "focus_lost";
  /** kitty's PID (null when the compositor did not report one). */
  pid: number | null;
  /** The compositor's window id, or null (crash repair of a kitty seen by an earlier run). */
  window_id: number | null;
  /** Outcome. */
  status: ActionStatus;
  /** Attempts made. */
  attempts: number;
  /** From the focus event's arrival to kitty's acknowledgement (or giving up), ms. */
  latency_ms: number;
  /** What went wrong (`failed`, `not_configured`), or null. */
  error: ErrorJson | null;
  /** Why nothing was sent (`skipped`), or null. */
  reason: string | null;
}

/** Options for {@link FocusTracker}. */
export interface FocusTrackerOptions {
  /** Windows with this app id are kitties. */
  appId: string;
  /** Points to grow by on focus (and shrink back by on blur). */
  deltaPt: number;
  /** Changes font sizes. */
  kitty: KittyFontPort;
  /** Receives every action line. */
  emit: (line: FocusActionLine) => void;
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
  /** Persists the enlarged kitties (crash repair); called after every change. */
  saveRecord?: (enlarged: EnlargedKitty[]) => Promise<void>;
  /** Default {@link systemClock}. */
  clock?: Clock;
}

interface KittyState {
  /** Points currently applied by tether (0 = normal size). */
  appliedPt: number;
  /** The window id last seen for it. */
  windowId: number | null;
  /** Serialises the commands sent to this kitty; other kitties are never held up by it. */
  chain: Promise<void>;
  /** Process start time, for the crash record. */
  startTimeMs: number | null;
  /** A shrink is queued and has not started: do not queue another. */
  shrinkQueued: boolean;
  /** Enlarged by an earlier run (crash record) and not yet repaired. */
  restored: boolean;
}

/**
 * The focus tracker: turns focus transitions into font changes so that at most the focused
 * kitty is enlarged. On A -> B it shrinks A's kitty only if tether enlarged it, grows B's only
 * if B is a kitty, and touches nothing else. Each change is one coalesced `set-font-size`
 * (`+3`, not three `+1`). Commands to one kitty run in order; a slow or stopped kitty never
 * delays another. Every action produces one {@link FocusActionLine}.
 *
 * @example
 * ```ts
 * const tracker = new FocusTracker({ appId: "kitty", deltaPt: 3, kitty, emit: console.log, isAlive, startTimeMs });
 * await tracker.restore(await readEnlargedRecord(path));
 * tracker.onTransition({ previous: null, focused: { windowId: 5, pid: 4268, appId: "kitty" } });
 * await tracker.shutdown(1500);
 * ```
 */
export class FocusTracker {
  readonly #options: FocusTrackerOptions;
  readonly #clock: Clock;
  readonly #kitties = new Map<number, KittyState>();
  /** The kitty that should be enlarged once queued commands ran (the focused kitty). */
  #wanted: number | null = null;
  #decisions: Promise<void> = Promise.resolve();
  #saves: Promise<void> = Promise.resolve();
  #stopped = false;
  readonly #openedTimers = new Set<ReturnType<Clock["setTimeout"]>>();

  constructor(options: FocusTrackerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Adopts the kitties an earlier run left enlarged (its crash record). Those still alive with
   * the same start time count as enlarged: the first transition shrinks them unless focused.
   */
  async restore(record: readonly EnlargedKitty[]): Promise<void> {
    for (const entry of record) {
      if (!this.#options.isAlive(entry.pid)) continue;
      const startTimeMs = await this.#options.startTimeMs(entry.pid);
      if (entry.start_time_ms !== null && startTimeMs !== entry.start_time_ms) continue;
      this.#kitties.set(entry.pid, {
        appliedPt: entry.delta_pt,
        windowId: null,
        chain: Promise.resolve(),
        startTimeMs,
        shrinkQueued: false,
        restored: true,
      });
    }
  }

  /** Handles one focus transition (queued: decisions are taken in arrival order). */
  onTransition(transition: FocusTransition): void {
    if (this.#stopped) return;
    const arrivedAt = this.#clock.now();
    this.#decisions = this.#decisions.then(() => this.#decide(transition, arrivedAt));
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

  /** Resolves once every queued decision and command has finished. */
  async idle(): Promise<void> {
    await this.#decisions;
    await Promise.all([...this.#kitties.values()].map((kitty) => kitty.chain));
    await this.#saves;
  }

  /** PIDs of the kitties tether has enlarged right now. */
  enlargedPids(): number[] {
    return [...this.#kitties].filter(([, kitty]) => kitty.appliedPt > 0).map(([pid]) => pid);
  }

  /** What the tracker knows per kitty: points applied and the last window id. */
  kitties(): { pid: number; applied_pt: number; window_id: number | null; focused: boolean }[] {
    return [...this.#kitties].map(([pid, kitty]) => ({
      pid,
      applied_pt: kitty.appliedPt,
      window_id: kitty.windowId,
      focused: pid === this.#wanted,
    }));
  }

  /**
   * Stops taking transitions, lets running commands finish, then shrinks every kitty still
   * enlarged — all within `budgetMs`. Kitties it could not shrink in time stay in the crash
   * record, so the next start repairs them.
   */
  async shutdown(budgetMs: number): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#openedTimers) this.#clock.clearTimeout(timer);
    this.#openedTimers.clear();
    const deadline = this.#clock.now() + budgetMs;
    const work = (async () => {
      await this.#decisions;
      this.#wanted = null;
      for (const [pid, kitty] of this.#kitties) {
        if (kitty.appliedPt > 0 && !kitty.shrinkQueued) this.#queueShrink(pid, this.#clock.now());
      }
      await this.idle();
    })();
    await waitAtMost(work, deadline - this.#clock.now(), this.#clock);
    await this.#saves;
  }

  async #decide(transition: FocusTransition, arrivedAt: number): Promise<void> {
    const gained = transition.focused;
    const lost = transition.previous;
    const gainedKitty = gained !== null && this.#isKitty(gained);
    const gainedPid = gainedKitty && gained.pid !== null ? await this.#resolve(gained.pid) : null;
    const lostPid = lost !== null && this.#isKitty(lost) && lost.pid !== null
      ? await this.#resolve(lost.pid)
      : null;

    // Shrink the kitty that had focus (enlarged, or about to be) and any kitty an earlier run
    // left enlarged. A kitty whose shrink failed is retried when it next loses focus.
    for (const [pid, kitty] of this.#kitties) {
      if (pid === gainedPid || kitty.shrinkQueued) continue;
      const enlarged = kitty.appliedPt > 0;
      if (pid === this.#wanted || (enlarged && (kitty.restored || pid === lostPid))) {
        this.#queueShrink(pid, arrivedAt);
      } else if (pid === lostPid) {
        this.#line("focus_lost", pid, lost!.windowId, "skipped", 0, arrivedAt, "not enlarged");
      }
    }
    if (lostPid !== null && !this.#kitties.has(lostPid) && lostPid !== gainedPid) {
      this.#line("focus_lost", lostPid, lost!.windowId, "skipped", 0, arrivedAt, "not enlarged");
    }
    this.#wanted = gainedPid;
    this.#forgetDeadKitties();

    if (gained === null || !gainedKitty) return;
    if (gainedPid === null) {
      this.#line(
        "focus_gained",
        null,
        gained.windowId,
        "not_configured",
        0,
        arrivedAt,
        "the compositor did not report this window's PID (niri < 25.01?)",
      );
      return;
    }
    const kitty = this.#kitty(gainedPid);
    kitty.windowId = gained.windowId;
    this.#enqueue(gainedPid, () => this.#grow(gainedPid, arrivedAt));
  }

  /** Drops idle records of kitties that exited, so a long session does not accumulate them. */
  #forgetDeadKitties(): void {
    for (const [pid, kitty] of this.#kitties) {
      if (kitty.appliedPt === 0 && pid !== this.#wanted && !this.#options.isAlive(pid)) {
        kitty.chain.then(() => {
          if (this.#kitties.get(pid) === kitty && kitty.appliedPt === 0) this.#kitties.delete(pid);
        });
      }
    }
  }

  #isKitty(window: FocusedWindow): boolean {
    return window.appId === this.#options.appId;
  }

  async #resolve(pid: number): Promise<number> {
    return this.#options.resolvePid ? await this.#options.resolvePid(pid) : pid;
  }

  #kitty(pid: number): KittyState {
    let kitty = this.#kitties.get(pid);
    if (kitty === undefined) {
      kitty = {
        appliedPt: 0,
        windowId: null,
        chain: Promise.resolve(),
        startTimeMs: null,
        shrinkQueued: false,
        restored: false,
      };
      this.#kitties.set(pid, kitty);
    }
    return kitty;
  }

  #enqueue(pid: number, action: () => Promise<void>): void {
    const kitty = this.#kitty(pid);
    kitty.chain = kitty.chain.then(action, action);
  }

  #queueShrink(pid: number, arrivedAt: number): void {
    this.#kitty(pid).shrinkQueued = true;
    this.#enqueue(pid, () => this.#shrink(pid, arrivedAt));
  }

  async #grow(pid: number, arrivedAt: number): Promise<void> {
    const kitty = this.#kitty(pid);
    // Decided against by a later transition, or already enlarged (crash repair, same kitty).
    if (this.#wanted !== pid || kitty.appliedPt > 0) {
      const reason = kitty.appliedPt > 0 ? "already enlarged" : "focus moved on";
      this.#line("focus_gained", pid, kitty.windowId, "skipped", 0, arrivedAt, reason);
      return;
    }
    const result = await this.#growWithGrace(pid);
    if (result.status === "success") {
      kitty.appliedPt = this.#options.deltaPt;
      kitty.startTimeMs ??= await this.#options.startTimeMs(pid);
      this.#save();
    }
    this.#resultLine("focus_gained", pid, kitty.windowId, result, arrivedAt);
  }

  /** One grow; for a just-opened kitty, `not_configured` is retried while it keeps focus. */
  async #growWithGrace(pid: number): Promise<FontChangeResult> {
    const kitty = this.#kitty(pid);
    kitty.startTimeMs ??= await this.#options.startTimeMs(pid);
    const fresh = kitty.startTimeMs !== null &&
      this.#clock.now() - kitty.startTimeMs < FRESH_KITTY_MS;
    let last: FontChangeResult | null = null;
    // Every command sent for this grow counts, over all tries (README: `attempts`).
    let attempts = 0;
    const counted = () => ({ ...last!, attempts });
    try {
      return await retry(FRESH_KITTY_GROW_POLICY, async () => {
        if (last !== null && this.#wanted !== pid) return counted(); // focus moved on: stop
        last = await this.#options.kitty.changeFontSize(pid, this.#options.deltaPt);
        attempts += last.attempts;
        if (fresh && last.status === "not_configured" && this.#wanted === pid) {
          throw new ConnectionError("not_configured", last.error ?? "", { recoverable: true });
        }
        return counted();
      }, { clock: this.#clock });
    } catch {
      return counted();
    }
  }

  async #shrink(pid: number, arrivedAt: number): Promise<void> {
    const kitty = this.#kitty(pid);
    kitty.shrinkQueued = false;
    kitty.restored = false;
    if (this.#wanted === pid) {
      this.#line("focus_lost", pid, kitty.windowId, "skipped", 0, arrivedAt, "focus came back");
      return;
    }
    if (kitty.appliedPt <= 0) {
      this.#line("focus_lost", pid, kitty.windowId, "skipped", 0, arrivedAt, "not enlarged");
      return;
    }
    const result = await this.#options.kitty.changeFontSize(pid, -kitty.appliedPt);
    if (result.status === "success" || !this.#options.isAlive(pid)) {
      kitty.appliedPt = 0;
      this.#save();
    }
    this.#resultLine("focus_lost", pid, kitty.windowId, result, arrivedAt);
    if (!this.#options.isAlive(pid)) this.#kitties.delete(pid);
  }

  #save(): void {
    const save = this.#options.saveRecord;
    if (save === undefined) return;
    const enlarged: EnlargedKitty[] = [...this.#kitties]
      .filter(([, kitty]) => kitty.appliedPt > 0)
      .map(([pid, kitty]) => ({
        pid,
        start_time_ms: kitty.startTimeMs,
        delta_pt: kitty.appliedPt,
      }));
    this.#saves = this.#saves.then(() => save(enlarged)).catch(() => {});
  }

  #resultLine(
    event: FocusActionLine["event"],
    pid: number,
    windowId: number | null,
    result: FontChangeResult,
    arrivedAt: number,
  ): void {
    const error = result.error === null
      ? null
      : { category: result.category ?? "closed", message: result.error };
    this.#line(event, pid, windowId, result.status, result.attempts, arrivedAt, error);
  }

  #line(
    event: FocusActionLine["event"],
    pid: number | null,
    windowId: number | null,
    status: ActionStatus,
    attempts: number,
    arrivedAt: number,
    problem: ErrorJson | string | null,
  ): void {
    const now = this.#clock.now();
    this.#options.emit({
      ts: isoTimestamp(now),
      event,
      pid,
      window_id: windowId,
      status,
      attempts,
      latency_ms: Math.max(0, roundMs(now - arrivedAt)),
      // A skip says why in words; a failure is a problem with a category.
      error: typeof problem === "string" ? null : problem,
      reason: typeof problem === "string" ? problem : null,
    });
  }
}
