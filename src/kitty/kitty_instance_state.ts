import type { ErrorCategory } from "../resilience/errors.ts";

/**
 * Where a kitty stands, as `tether focus status` and the `status_changed` event show it:
 * `unknown` until its first check ends.
 */
export type KittyStatus = "unknown" | "ready" | "not_configured" | "failed";

/** What a check of a kitty ends in ({@link KittyStatus} without `unknown`). */
export type KittyCheckOutcome = Exclude<KittyStatus, "unknown">;

/** The state of one kitty process in the registry's state machine (a value, no I/O). */
export interface KittyInstanceState {
  /** Where it stands. */
  readonly status: KittyStatus;
  /** Why it is not ready (never contains the password), or null. */
  readonly reason: string | null;
  /** The category of the last failure, or null once ready. */
  readonly category: ErrorCategory | null;
  /**
   * Failed for good (wrong password — kitty's Allow/Deny prompt —, or the process is gone): not
   * contacted again until the PID names a new process.
   */
  readonly permanent: boolean;
}

/** What happens to a kitty, as the state machine sees it. */
export type KittyInstanceEvent =
  /** The check (probe, credentials, first contact) passed, or a command went through. */
  | { readonly kind: "check_passed" }
  /** A check or command failed; `processAlive` is read right after the failure. */
  | {
    readonly kind: "failed";
    /** Names the kitty in the reason (`kitty 4121`). */
    readonly target: string;
    readonly category: ErrorCategory;
    readonly message: string;
    readonly processAlive: boolean;
  }
  /** The PID now names a process with another start time: nothing the old one taught holds. */
  | { readonly kind: "process_replaced" };

/** A kitty never checked. */
export const UNCHECKED_KITTY: KittyInstanceState = Object.freeze({
  status: "unknown",
  reason: null,
  category: null,
  permanent: false,
});

/**
 * The kitty instance state machine: the state after `event`. A missing socket means
 * `not_configured` only while kitty runs (kitty >= 0.39 removes its socket itself when it dies,
 * even by SIGKILL); `auth` and a gone process are `failed` for good.
 *
 * @example
 * ```ts
 * const state = nextKittyState(UNCHECKED_KITTY, {
 *   kind: "failed", target: "kitty 4121", category: "auth", message: "kitty 4121: no reply",
 *   processAlive: true,
 * }); // { status: "failed", permanent: true, category: "auth", reason: "kitty 4121: no reply" }
 * ```
 */
export function nextKittyState(
  state: KittyInstanceState,
  event: KittyInstanceEvent,
): KittyInstanceState {
  switch (event.kind) {
    case "check_passed":
      return { ...state, status: "ready", reason: null, category: null };
    case "process_replaced":
      return UNCHECKED_KITTY;
    case "failed": {
      const { target, category, message, processAlive } = event;
      if (category === "not_configured" && processAlive) {
        return { ...state, status: "not_configured", reason: message, category };
      }
      return {
        status: "failed",
        reason: processAlive ? message : `${target}: the process is gone (${message})`,
        category,
        permanent: state.permanent || category === "auth" || !processAlive,
      };
    }
  }
}

/** Whether a job must check the kitty first: not ready, and not failed for good. */
export function needsCheck(state: KittyInstanceState): boolean {
  return state.status !== "ready" && !state.permanent;
}
