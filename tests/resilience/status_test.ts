import assert from "node:assert/strict";
import { isoTimestamp } from "../../src/platform/time_format.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { statusToJson, TargetStatus } from "../../src/resilience/status.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

const START = Date.UTC(2026, 0, 1);

Deno.test("setStatus moves `since` only on a change and keeps the reason", async () => {
  const clock = new VirtualClock(START);
  const status = new TargetStatus<"unknown" | "ready" | "failed">("kitty 4121", { clock });
  assert.equal(status.status, "unknown");
  await clock.advance(1000);
  assert.equal(status.setStatus("failed", "refused"), true);
  await clock.advance(1000);
  assert.equal(status.setStatus("failed", "refused again"), false);
  const snapshot = status.snapshot();
  assert.equal(snapshot.since, START + 1000);
  assert.equal(snapshot.reason, "refused again");
});

Deno.test("uptime counts continuous time in an up status and resets when down", async () => {
  const clock = new VirtualClock(START);
  const status = new TargetStatus("sway", { clock });
  status.setStatus("connected");
  await clock.advance(5000);
  status.setStatus("ready"); // still up: uptime continues
  await clock.advance(2500);
  assert.equal(status.snapshot().uptimeMs, 7500);
  status.setStatus("reconnecting");
  assert.equal(status.snapshot().uptimeMs, 0);
  const custom = new TargetStatus("x", { clock, initialStatus: "alive", upStatuses: ["alive"] });
  await clock.advance(1000);
  assert.equal(custom.snapshot().uptimeMs, 1000);
});

Deno.test("the error history keeps the last 10, oldest first, with categories", async () => {
  const clock = new VirtualClock(START);
  const status = new TargetStatus("conbus", { clock });
  for (let i = 1; i <= 12; i++) {
    status.recordError(new ConnectionError("timeout", `timeout ${i}`));
    await clock.advance(1);
  }
  status.recordError(Object.assign(new Error("reset"), { code: "ECONNRESET" }));
  const errors = status.snapshot().errors;
  assert.equal(errors.length, 10);
  assert.equal(errors[0]!.message, "timeout 4");
  assert.deepEqual(errors.at(-1), { at: START + 12, category: "closed", message: "conbus: reset" });
});

Deno.test("maxErrors bounds the history", () => {
  const status = new TargetStatus("x", { clock: new VirtualClock(START), maxErrors: 2 });
  for (const message of ["a", "b", "c"]) status.recordError(new ConnectionError("closed", message));
  assert.deepEqual(status.snapshot().errors.map((error) => error.message), ["b", "c"]);
});

Deno.test("counters and last activity", async () => {
  const clock = new VirtualClock(START);
  const status = new TargetStatus("x", { clock });
  assert.equal(status.snapshot().lastActivity, null);
  status.count("connects");
  status.count("reuses", 3);
  status.count("retries");
  status.count("failures", 2);
  status.count("reconnections");
  await clock.advance(42);
  status.recordActivity();
  const snapshot = status.snapshot();
  assert.deepEqual(snapshot.counters, {
    connects: 1,
    reuses: 3,
    retries: 1,
    failures: 2,
    reconnections: 1,
  });
  assert.equal(snapshot.lastActivity, START + 42);
});

Deno.test("snapshots are copies", () => {
  const status = new TargetStatus("x", { clock: new VirtualClock(START) });
  const snapshot = status.snapshot();
  snapshot.counters.connects = 99;
  snapshot.errors.push({ at: 0, category: "auth", message: "fake" });
  assert.equal(status.snapshot().counters.connects, 0);
  assert.equal(status.snapshot().errors.length, 0);
});

Deno.test("JSON form: snake_case keys, ISO times with offset, durations in ms", async () => {
  const clock = new VirtualClock(START);
  const status = new TargetStatus("kitty 7", { clock });
  status.setStatus("ready");
  status.recordError(new ConnectionError("refused", "kitty 7: refused"));
  await clock.advance(61_900);
  status.recordActivity();
  const json = JSON.parse(JSON.stringify(statusToJson(status.snapshot())));
  assert.deepEqual(json, {
    target: "kitty 7",
    status: "ready",
    error: null,
    since_at: isoTimestamp(START),
    last_activity_at: isoTimestamp(START + 61_900),
    uptime_ms: 61_900,
    errors: [{
      ts: isoTimestamp(START),
      category: "refused",
      message: "kitty 7: refused",
    }],
    counters: { connects: 0, reuses: 0, retries: 0, failures: 0, reconnections: 0 },
  });
});
