import assert from "node:assert/strict";
import { actionLine, type PlannedLine } from "../../src/focus/focus_action_line.ts";

const arrivedAtMs = Date.UTC(2026, 0, 1);
const base: PlannedLine = {
  event: "focus_gained",
  pid: 4121,
  osWindowId: 1,
  windowId: 12,
  status: "success",
  attempts: 1,
  text: null,
};

Deno.test("actionLine: times and ids, latency from the event's arrival", () => {
  assert.deepEqual(actionLine(base, arrivedAtMs + 12.3456, arrivedAtMs), {
    ts: "2026-01-01T00:00:00.012+00:00",
    event: "focus_gained",
    pid: 4121,
    os_window_id: 1,
    window_id: 12,
    status: "success",
    attempts: 1,
    latency_ms: 12.35,
    error: null,
    reason: null,
  });
});

Deno.test("actionLine: a skip says why in reason; a problem is an error with a category", () => {
  const cases: [Partial<PlannedLine>, { error: unknown; reason: string | null }][] = [
    [{ status: "skipped", text: "not enlarged" }, { error: null, reason: "not enlarged" }],
    [
      { status: "failed", text: "kitty 4121: gone" },
      { error: { category: "closed", message: "kitty 4121: gone" }, reason: null },
    ],
    [
      { status: "not_configured", text: "no socket" },
      { error: { category: "not_configured", message: "no socket" }, reason: null },
    ],
    [
      { status: "failed", text: "timed out", category: "timeout" },
      { error: { category: "timeout", message: "timed out" }, reason: null },
    ],
  ];
  for (const [patch, expected] of cases) {
    const line = actionLine({ ...base, ...patch }, arrivedAtMs, arrivedAtMs);
    assert.deepEqual({ error: line.error, reason: line.reason }, expected, JSON.stringify(patch));
  }
});

Deno.test("actionLine: effect only when there is one; latency never negative", () => {
  const reset = actionLine({ ...base, effect: "reset_all" }, arrivedAtMs, arrivedAtMs);
  assert.equal(reset.effect, "reset_all");
  assert.ok(!("effect" in actionLine(base, arrivedAtMs, arrivedAtMs)));
  assert.equal(actionLine(base, arrivedAtMs - 5, arrivedAtMs).latency_ms, 0);
});
