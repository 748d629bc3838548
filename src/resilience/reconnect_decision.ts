/**
 * The reconnect decision of `Supervisor` (supervisor.ts) as a pure function: what happened (a
 * loss, a requested reconnect, a failed attempt) and the policy in, the next attempt and its
 * delay — or the give-up and its reason — out. The supervisor keeps the timers, the connection
 * and the events; this file holds every rule about attempt numbers, delays and when to stop.
 *
 * @module
 */
import { ConnectionError } from "./errors.ts";
import { delayBeforeAttempt, hasAttemptsLeft, type RetryPolicy } from "./retry_policy.ts";

/** What ended the last connection or attempt. */
export type ReconnectCause =
  /** The connection was up and was lost (peer closed, stream error, failed health ping). */
  | { kind: "lost"; error: ConnectionError }
  /** `reconnectNow()` while connected: reconnect at once; not an error. */
  | { kind: "requested" }
  /**
   * Attempt `attempt` failed in connect or restore (0 = the first connect after start or after
   * a give-up, which is not a reconnect attempt). `retryable`: what the supervisor's
   * `retryable` option said about `error`.
   */
  | { kind: "attempt_failed"; attempt: number; error: ConnectionError; retryable: boolean };

/** Input of {@link decideReconnect}. */
export interface ReconnectInput {
  /** The target's name, for reasons ("sway"). */
  name: string;
  /** What happened. */
  cause: ReconnectCause;
  /** Delays and max attempts. */
  policy: RetryPolicy;
  /** The jitter draw in [0, 1) for the next delay (unused without jitter). */
  jitterDraw: number;
}

/** Output of {@link decideReconnect}: the supervisor goes `reconnecting` or `disconnected`. */
export type ReconnectDecision =
  /**
   * State `reconnecting`: run reconnect attempt `attempt` (1-based) after `delayMs`. `error` is
   * why (reported as the state's reason and in the `reconnect_attempt` event).
   */
  | { action: "retry"; attempt: number; delayMs: number; error: ConnectionError }
  /** State `disconnected` with `reason` until `reconnectNow()`. */
  | { action: "give_up"; reason: string };

/**
 * Decides what follows a loss or a failed attempt. A loss always gets reconnect attempt 1 after
 * the policy's first delay; a requested reconnect gets attempt 1 at once; a failed attempt n
 * gets attempt n + 1 after the policy's delay for it, unless the error is not retryable or the
 * policy's `maxAttempts` reconnect attempts are spent (the first connect is not counted).
 *
 * @example
 * ```ts
 * const next = decideReconnect({
 *   name: "sway",
 *   cause: { kind: "attempt_failed", attempt: 2, error, retryable: true },
 *   policy,
 *   jitterDraw: Math.random(),
 * });
 * if (next.action === "retry") await clock.sleep(next.delayMs);
 * ```
 */
export function decideReconnect(input: ReconnectInput): ReconnectDecision {
  const { name, cause, policy } = input;
  const delayMs = (attempt: number) => delayBeforeAttempt(policy, attempt, () => input.jitterDraw);
  switch (cause.kind) {
    case "requested":
      return {
        action: "retry",
        attempt: 1,
        delayMs: 0,
        error: new ConnectionError("closed", `${name}: reconnect requested`),
      };
    case "lost":
      return { action: "retry", attempt: 1, delayMs: delayMs(1), error: cause.error };
    case "attempt_failed": {
      if (!cause.retryable) return { action: "give_up", reason: `${name}: ${cause.error.message}` };
      if (!hasAttemptsLeft(policy, cause.attempt)) {
        return {
          action: "give_up",
          reason:
            `${name}: gave up after ${cause.attempt} reconnect attempts: ${cause.error.message} — run a reconnect to try again`,
        };
      }
      const attempt = cause.attempt + 1;
      return { action: "retry", attempt, delayMs: delayMs(attempt), error: cause.error };
    }
  }
}
