/** The supervisor's reconnect decision as values: cause + policy in, next attempt or give-up out. */
import assert from "node:assert/strict";
import { ConnectionError } from "../../src/resilience/errors.ts";
import {
  decideReconnect,
  type ReconnectCause,
  type ReconnectDecision,
} from "../../src/resilience/reconnect_decision.ts";
import { exponentialPolicy, schedulePolicy } from "../../src/resilience/retry_policy.ts";

const EXACT_3 = exponentialPolicy({ jitter: "none", maxAttempts: 3 });
const UNLIMITED = exponentialPolicy({ jitter: "none", maxAttempts: 0, maxDelayMs: 8000 });
const HALF_JITTER = exponentialPolicy({ maxAttempts: 10 });
const refused = new ConnectionError("refused", "sway: connection refused");
const auth = new ConnectionError("auth", "conbus: rejected");
const eof = new ConnectionError("closed", "sway: EOF");
const failed = (attempt: number, error = refused, retryable = true): ReconnectCause => ({
  kind: "attempt_failed",
  attempt,
  error,
  retryable,
});

/** A decision with its error reduced to category and message, for deepEqual. */
type Plain =
  | { action: "retry"; attempt: number; delayMs: number; error: string }
  | { action: "give_up"; reason: string };

function plain(decision: ReconnectDecision): Plain {
  if (decision.action === "give_up") return decision;
  const { error, ...rest } = decision;
  return { ...rest, error: `${error.category}: ${error.message}` };
}

const cases: {
  name: string;
  cause: ReconnectCause;
  policy?: typeof EXACT_3;
  jitterDraw?: number;
  expected: Plain;
}[] = [
  {
    name: "a loss gets attempt 1 after the first delay",
    cause: { kind: "lost", error: eof },
    expected: { action: "retry", attempt: 1, delayMs: 1000, error: "closed: sway: EOF" },
  },
  {
    name: "a requested reconnect gets attempt 1 at once and is not the peer's fault",
    cause: { kind: "requested" },
    expected: {
      action: "retry",
      attempt: 1,
      delayMs: 0,
      error: "closed: sway: reconnect requested",
    },
  },
  {
    name: "the first connect failing gets attempt 1 (it is not itself a reconnect attempt)",
    cause: failed(0),
    expected: {
      action: "retry",
      attempt: 1,
      delayMs: 1000,
      error: "refused: sway: connection refused",
    },
  },
  {
    name: "attempt 2 failing gets attempt 3 after the doubled delay",
    cause: failed(2),
    expected: {
      action: "retry",
      attempt: 3,
      delayMs: 4000,
      error: "refused: sway: connection refused",
    },
  },
  {
    name: "the last allowed attempt failing gives up, saying how to try again",
    cause: failed(3),
    expected: {
      action: "give_up",
      reason:
        "sway: gave up after 3 reconnect attempts: sway: connection refused — run a reconnect to try again",
    },
  },
  {
    name: "a loss is retried even by a policy whose attempts a failing run would have spent",
    cause: { kind: "lost", error: eof },
    policy: schedulePolicy([0], { maxAttempts: 1 }),
    expected: { action: "retry", attempt: 1, delayMs: 0, error: "closed: sway: EOF" },
  },
  {
    name: "a non-retryable failure gives up at once with the error as the reason",
    cause: failed(0, auth, false),
    expected: { action: "give_up", reason: "sway: conbus: rejected" },
  },
  {
    name: "retryable wins over the category: the option may widen what is retried",
    cause: failed(1, auth, true),
    expected: { action: "retry", attempt: 2, delayMs: 2000, error: "auth: conbus: rejected" },
  },
  {
    name: "unlimited attempts never give up and the delay stays capped",
    cause: failed(29),
    policy: UNLIMITED,
    expected: {
      action: "retry",
      attempt: 30,
      delayMs: 8000,
      error: "refused: sway: connection refused",
    },
  },
  {
    name: "half jitter takes the draw: d/2 + draw × d/2",
    cause: failed(1),
    policy: HALF_JITTER,
    jitterDraw: 0.5,
    expected: {
      action: "retry",
      attempt: 2,
      delayMs: 1500,
      error: "refused: sway: connection refused",
    },
  },
];

for (const { name, cause, policy, jitterDraw, expected } of cases) {
  Deno.test(`decideReconnect: ${name}`, () => {
    const decision = decideReconnect({
      name: "sway",
      cause,
      policy: policy ?? EXACT_3,
      jitterDraw: jitterDraw ?? 0,
    });
    assert.deepEqual(plain(decision), expected);
  });
}

Deno.test("decideReconnect: a loss and a failure keep the very error for the event", () => {
  const decision = decideReconnect({
    name: "sway",
    cause: { kind: "lost", error: eof },
    policy: EXACT_3,
    jitterDraw: 0,
  });
  assert.equal(decision.action === "retry" && decision.error, eof);
});
