import { type Clock, systemClock } from "./clock.ts";
import { type ErrorCategory, type ErrorJson, toConnectionError } from "./errors.ts";
import { isoTimestamp } from "../platform/time_format.ts";

/** One remembered failure. */
export interface ErrorRecord {
  /** When it happened (ms since epoch). */
  at: number;
  /** Its category. */
  category: ErrorCategory;
  /** Its message. */
  message: string;
}

/** Counters kept per target. */
export interface StatusCounters {
  /** Connections opened. */
  connects: number;
  /** Pooled connections reused. */
  reuses: number;
  /** Retried attempts. */
  retries: number;
  /** Failed operations / connects. */
  failures: number;
  /** Successful reconnects after a loss. */
  reconnections: number;
}

/** A point-in-time copy of a {@link TargetStatus} (camelCase, times in ms since epoch). */
export interface TargetStatusSnapshot<S extends string = string> {
  /** What this record is about ("kitty 4121", "sway", "conbus 10.0.0.5:10001"). */
  target: string;
  /** Current status. */
  status: S;
  /** Why (for not_configured/failed: what happened and what to do), or null. */
  reason: string | null;
  /** The category of the problem `reason` describes (null: none given). */
  reasonCategory: ErrorCategory | null;
  /** When `status` last changed. */
  since: number;
  /** Last successful use, or null. */
  lastActivity: number | null;
  /** Time spent continuously in an "up" status (0 when not up). */
  uptimeMs: number;
  /** The last errors, oldest first (at most `maxErrors`). */
  errors: ErrorRecord[];
  /** Totals since the target was first used (never reset, also not by a reconnect). */
  counters: StatusCounters;
}

/**
 * The JSON form of a snapshot in tether's JSON vocabulary (README "JSON vocabulary"):
 * snake_case keys, ISO 8601 times with offset, durations in ms, `error: {category, message}`.
 */
export interface TargetStatusJson {
  /** See {@link TargetStatusSnapshot.target}. */
  target: string;
  /** See {@link TargetStatusSnapshot.status}. */
  status: string;
  /** The reason as a problem (what happened and what to do), or null. */
  error: ErrorJson | null;
  /** When `status` last changed (ISO 8601). */
  since_at: string;
  /** Last successful use (ISO 8601), or null. */
  last_activity_at: string | null;
  /** Time continuously up, ms. */
  uptime_ms: number;
  /** Oldest first. */
  errors: { ts: string; category: ErrorCategory; message: string }[];
  /** Counters, snake_case. */
  counters: {
    connects: number;
    reuses: number;
    retries: number;
    failures: number;
    reconnections: number;
  };
}

/** Options for {@link TargetStatus}. */
export interface TargetStatusOptions<S extends string> {
  /**
   * The status before the first `setStatus`.
   * @default {"unknown"}
   */
  initialStatus?: S;
  /**
   * Statuses that count as "up": uptime runs while the status is one of them.
   * @default {["connected", "ready", "healthy"]}
   */
  upStatuses?: readonly S[];
  /**
   * How many errors to keep (the oldest go first).
   * @default {DEFAULT_MAX_ERRORS} (10)
   */
  maxErrors?: number;
  /** @default {systemClock} */
  clock?: Clock;
}

/** Default number of errors a {@link TargetStatus} keeps. */
const DEFAULT_MAX_ERRORS = 10;

/**
 * The status record of one target (a kitty, a compositor connection, the Conbus bridge):
 * status + reason + since, last activity, a bounded error history and counters. Mutated by its
 * owner, read through {@link TargetStatus.snapshot} (JSON: {@link statusToJson}).
 *
 * @example
 * ```ts
 * const status = new TargetStatus<"ready" | "failed" | "unknown">("kitty 4121");
 * status.setStatus("failed", "kitty 4121: connection refused");
 * status.recordError(new ConnectionError("refused", "kitty 4121: connection refused"));
 * status.count("failures");
 * statusToJson(status.snapshot()); // {target: "kitty 4121", status: "failed", ...}
 * ```
 */
export class TargetStatus<S extends string = string> {
  /** What this record is about. */
  readonly target: string;
  #clock: Clock;
  #status: S;
  #reason: string | null = null;
  #reasonCategory: ErrorCategory | null = null;
  #since: number;
  #upSince: number | null = null;
  #upStatuses: ReadonlySet<string>;
  #lastActivity: number | null = null;
  #errors: ErrorRecord[] = [];
  #maxErrors: number;
  #counters: StatusCounters = { connects: 0, reuses: 0, retries: 0, failures: 0, reconnections: 0 };

  constructor(target: string, options: TargetStatusOptions<S> = {}) {
    this.target = target;
    this.#clock = options.clock ?? systemClock;
    this.#status = options.initialStatus ?? ("unknown" as S);
    this.#upStatuses = new Set(options.upStatuses ?? ["connected", "ready", "healthy"]);
    this.#maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;
    this.#since = this.#clock.now();
    if (this.#upStatuses.has(this.#status)) this.#upSince = this.#since;
  }

  /** Current status. */
  get status(): S {
    return this.#status;
  }

  /** Current reason, or null. */
  get reason(): string | null {
    return this.#reason;
  }

  /**
   * Sets status and reason (and the category of the problem it describes); `since` moves only
   * when the status changes. Returns whether the status changed.
   */
  setStatus(
    status: S,
    reason: string | null = null,
    reasonCategory: ErrorCategory | null = null,
  ): boolean {
    this.#reason = reason;
    this.#reasonCategory = reason === null ? null : reasonCategory;
    if (status === this.#status) return false;
    const now = this.#clock.now();
    this.#status = status;
    this.#since = now;
    const up = this.#upStatuses.has(status);
    if (up && this.#upSince === null) this.#upSince = now;
    if (!up) this.#upSince = null;
    return true;
  }

  /** Marks a successful use now. */
  recordActivity(): void {
    this.#lastActivity = this.#clock.now();
  }

  /** Remembers an error (its category via `toConnectionError`); drops the oldest past the bound. */
  recordError(error: unknown): void {
    const connectionError = toConnectionError(error, this.target);
    this.#errors.push({
      at: this.#clock.now(),
      category: connectionError.category,
      message: connectionError.message,
    });
    if (this.#errors.length > this.#maxErrors) {
      this.#errors.splice(0, this.#errors.length - this.#maxErrors);
    }
  }

  /** Adds `by` (default 1) to a counter. */
  count(counter: keyof StatusCounters, by = 1): void {
    this.#counters[counter] += by;
  }

  /** A copy of the current state. */
  snapshot(): TargetStatusSnapshot<S> {
    return {
      target: this.target,
      status: this.#status,
      reason: this.#reason,
      reasonCategory: this.#reasonCategory,
      since: this.#since,
      lastActivity: this.#lastActivity,
      uptimeMs: this.#upSince === null ? 0 : this.#clock.now() - this.#upSince,
      errors: this.#errors.map((record) => ({ ...record })),
      counters: { ...this.#counters },
    };
  }
}

/**
 * Converts a snapshot to its JSON form: snake_case keys, ISO 8601 times with offset, ms. The
 * reason becomes `error` with its category (else the latest recorded error's, else `closed`).
 *
 * @example
 * ```ts
 * statusToJson(status.snapshot()).uptime_ms;
 * ```
 */
export function statusToJson(snapshot: TargetStatusSnapshot): TargetStatusJson {
  const category = snapshot.reasonCategory ?? snapshot.errors.at(-1)?.category ?? "closed";
  return {
    target: snapshot.target,
    status: snapshot.status,
    error: snapshot.reason === null ? null : { category, message: snapshot.reason },
    since_at: isoTimestamp(snapshot.since),
    last_activity_at: snapshot.lastActivity === null ? null : isoTimestamp(snapshot.lastActivity),
    uptime_ms: Math.round(snapshot.uptimeMs),
    errors: snapshot.errors.map((record) => ({
      ts: isoTimestamp(record.at),
      category: record.category,
      message: record.message,
    })),
    counters: { ...snapshot.counters },
  };
}
