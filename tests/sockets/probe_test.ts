import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { probeConnect } from "../../src/sockets/connect_probe.ts";
import { probeSocket } from "../../src/sockets/probe.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";
import { VirtualClock } from "../support/virtual_clock.ts";

Deno.test("probeSocket reports an answer with its latency from the injected clock", async () => {
  const clock = new VirtualClock(100);
  const outcome = probeSocket("/x", "i3ipc", {
    timeoutMs: 1000,
    clock,
    probers: { i3ipc: () => clock.sleep(2).then(() => ({ detail: "sway 1.7" })) },
  });
  await clock.advance(2);
  assert.deepEqual(await outcome, { answered: true, latencyMs: 2, answer: { detail: "sway 1.7" } });
  assert.deepEqual(clock.pending(), [], "the deadline's timer is cleared");
});

Deno.test("probeSocket enforces its deadline on the clock even if the prober never settles", async () => {
  const clock = new VirtualClock(0);
  let settled = false;
  const outcome = probeSocket("/x", "kitty", {
    timeoutMs: 20,
    clock,
    probers: { kitty: () => new Promise(() => {}) },
  }).finally(() => (settled = true));
  await clock.advance(19);
  assert.equal(settled, false, "no verdict before the deadline");
  await clock.advance(1);
  assert.equal(settled, true, "a verdict at the deadline");
  const result = await outcome;
  assert.equal(result.answered, false);
  assert.equal(!result.answered && result.category, "timeout");
  assert.equal(result.latencyMs, 20);
});

Deno.test("probeSocket maps errno codes to categories and user-facing text", async () => {
  const fail = (code: string) => () => Promise.reject(Object.assign(new Error(code), { code }));
  const cases: [string, string, RegExp][] = [
    ["ECONNREFUSED", "refused", /nothing listens/],
    ["EACCES", "auth", /another user/],
    ["EAGAIN", "busy", /backlog/],
    ["ENOENT", "not_configured", /does not exist/],
  ];
  for (const [code, category, text] of cases) {
    const outcome = await probeSocket("/x", "niri", {
      timeoutMs: 1000,
      probers: { niri: fail(code) },
    });
    assert.ok(!outcome.answered);
    assert.equal(outcome.category, category, code);
    assert.match(outcome.error, text, code);
  }
  const protocol = await probeSocket("/x", "niri", {
    timeoutMs: 1000,
    probers: { niri: () => Promise.reject(new ConnectionError("protocol", "garbage")) },
  });
  assert.ok(!protocol.answered && protocol.category === "protocol");
});

Deno.test("probeConnect: refused on a stale socket, not_configured on a missing one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-probe-"));
  try {
    await createStaleSockets([join(dir, "s.sock")]);
    const stale = await probeConnect(join(dir, "s.sock"), 1000);
    assert.ok(!stale.answered && stale.category === "refused");
    assert.equal(!stale.answered && stale.error, "ECONNREFUSED");
    const missing = await probeConnect(join(dir, "none.sock"), 1000);
    assert.ok(!missing.answered && missing.category === "not_configured");
    assert.equal(!missing.answered && missing.error, "ENOENT");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
