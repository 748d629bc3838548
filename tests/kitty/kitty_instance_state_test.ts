import assert from "node:assert/strict";
import {
  type KittyInstanceEvent,
  type KittyInstanceState,
  needsCheck,
  nextKittyState,
  UNCHECKED_KITTY,
} from "../../src/kitty/kitty_instance_state.ts";

const target = "kitty 4121";
const failed = (
  category: "not_configured" | "auth" | "timeout" | "closed",
  processAlive = true,
): KittyInstanceEvent => ({
  kind: "failed",
  target,
  category,
  message: `kitty 4121: ${category}`,
  processAlive,
});
const ready: KittyInstanceState = {
  status: "ready",
  reason: null,
  category: null,
  permanent: false,
};

const cases: {
  name: string;
  from: KittyInstanceState;
  event: KittyInstanceEvent;
  to: KittyInstanceState;
}[] = [
  {
    name: "a first check that passes: ready",
    from: UNCHECKED_KITTY,
    event: { kind: "check_passed" },
    to: ready,
  },
  {
    name: "no socket while kitty runs: not_configured, checked again next time",
    from: UNCHECKED_KITTY,
    event: failed("not_configured"),
    to: {
      status: "not_configured",
      reason: "kitty 4121: not_configured",
      category: "not_configured",
      permanent: false,
    },
  },
  {
    name: "no socket and the process is gone: failed for good, the reason says gone",
    from: UNCHECKED_KITTY,
    event: failed("not_configured", false),
    to: {
      status: "failed",
      reason: "kitty 4121: the process is gone (kitty 4121: not_configured)",
      category: "not_configured",
      permanent: true,
    },
  },
  {
    name: "silence at first contact (Allow/Deny prompt): failed for good",
    from: UNCHECKED_KITTY,
    event: failed("auth"),
    to: { status: "failed", reason: "kitty 4121: auth", category: "auth", permanent: true },
  },
  {
    name: "a timeout of a ready kitty: failed, checked again next time",
    from: ready,
    event: failed("timeout"),
    to: { status: "failed", reason: "kitty 4121: timeout", category: "timeout", permanent: false },
  },
  {
    name: "recovery after a transient failure: ready, reason and category cleared",
    from: {
      status: "failed",
      reason: "kitty 4121: timeout",
      category: "timeout",
      permanent: false,
    },
    event: { kind: "check_passed" },
    to: ready,
  },
  {
    name: "a new process behind the PID forgets a permanent failure",
    from: { status: "failed", reason: "kitty 4121: auth", category: "auth", permanent: true },
    event: { kind: "process_replaced" },
    to: UNCHECKED_KITTY,
  },
  {
    name: "once permanent, a later not_configured keeps it permanent",
    from: { status: "failed", reason: "kitty 4121: auth", category: "auth", permanent: true },
    event: failed("not_configured"),
    to: {
      status: "not_configured",
      reason: "kitty 4121: not_configured",
      category: "not_configured",
      permanent: true,
    },
  },
];

for (const { name, from, event, to } of cases) {
  Deno.test(`kitty state machine: ${name}`, () => {
    assert.deepEqual(nextKittyState(from, event), to);
  });
}

Deno.test("kitty state machine: a check is needed unless ready or failed for good", () => {
  const table: [KittyInstanceState, boolean][] = [
    [UNCHECKED_KITTY, true],
    [ready, false],
    [nextKittyState(UNCHECKED_KITTY, failed("not_configured")), true],
    [nextKittyState(UNCHECKED_KITTY, failed("timeout")), true],
    [nextKittyState(UNCHECKED_KITTY, failed("auth")), false],
    [nextKittyState(ready, failed("closed", false)), false],
  ];
  for (const [state, expected] of table) {
    assert.equal(needsCheck(state), expected, `${state.status} ${state.category}`);
  }
});
