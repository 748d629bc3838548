import assert from "node:assert/strict";
import { renderLiveLine, renderTable, rowColour } from "../../src/cli/socket_health_render.ts";
import type { HealthRow } from "../../src/sockets/health.ts";

const row = (overrides: Partial<HealthRow> = {}): HealthRow => ({
  kind: "sway",
  socket_path: "/run/user/1000/sway-ipc.1000.812.sock",
  owner_pid: 812,
  status: "healthy",
  latency_ms: 0.42,
  ts: "2026-01-01T00:00:00.000+00:00",
  error: null,
  peer: "sway 1.7",
  current: true,
  ...overrides,
});

Deno.test("colours: green healthy, yellow slow, orange reconnecting, red down, grey unknown", () => {
  assert.equal(rowColour(row()), "green");
  assert.equal(rowColour(row({ latency_ms: 501 })), "yellow");
  assert.equal(
    rowColour(row({ kind: "tether", status: "degraded", connection_status: "reconnecting" })),
    "orange",
  );
  assert.equal(rowColour(row({ status: "stale", latency_ms: null })), "red");
  assert.equal(rowColour(row({ status: "unresponsive", latency_ms: null })), "red");
  assert.equal(rowColour(row({ status: "missing", latency_ms: null })), "red");
  assert.equal(rowColour(null), "grey");
});

Deno.test("the table aligns columns and marks the current socket", () => {
  const text = renderTable([
    row(),
    row({
      kind: "i3",
      socket_path: "/x",
      owner_pid: null,
      status: "stale",
      latency_ms: null,
      error: { category: "refused", message: "connection refused" },
      current: false,
    }),
  ]);
  assert.equal(
    text,
    "KIND  STATUS   LATENCY  PID  SOCKET                                   NOTE\n" +
      "sway  healthy  0.42 ms  812  /run/user/1000/sway-ipc.1000.812.sock *  sway 1.7\n" +
      "i3    stale    -        -    /x                                       connection refused\n" +
      "* = the current session's socket\n",
  );
});

Deno.test("an empty table says so", () => {
  assert.equal(renderTable([]), "no IPC sockets found\n");
});

Deno.test("tether rows show reconnections and uptime", () => {
  const text = renderTable([
    row({ kind: "tether", reconnection_count: 2, uptime_ms: 61_400, peer: "tether focus" }),
  ]);
  assert.match(text, /tether focus; reconnections 2; up 1 min 1 s/);
});

const live = (overrides: Partial<HealthRow> = {}) => {
  const health = row(overrides);
  return { kind: health.kind, socket_path: health.socket_path, row: health };
};

const PLAIN = { colour: false, width: null };
const COLOUR = { colour: true, width: null };

Deno.test("live lines are plain without colour and wrapped in ANSI with it", () => {
  assert.equal(renderLiveLine(live(), PLAIN).includes("\x1b"), false);
  assert.ok(renderLiveLine(live(), COLOUR).startsWith("\x1b[32m")); // green
  assert.ok(renderLiveLine(live({ latency_ms: 612 }), COLOUR).startsWith("\x1b[33m")); // yellow
  assert.ok(renderLiveLine(live({ status: "stale" }), COLOUR).startsWith("\x1b[31m"));
  assert.ok(renderLiveLine(live(), COLOUR).endsWith("\x1b[0m"));
});

Deno.test("a socket without a result yet is grey, status unknown, not probed yet", () => {
  const pending = { kind: "kitty" as const, socket_path: "/r/kitty/kitty-5.sock", row: null };
  assert.equal(
    renderLiveLine(pending, PLAIN),
    "unknown             -  kitty  /r/kitty/kitty-5.sock  not probed yet",
  );
  assert.ok(renderLiveLine(pending, COLOUR).startsWith("\x1b[90munknown"));
});

Deno.test("a live line never exceeds its width: cut with …, colour codes outside the count", () => {
  const long = live({
    status: "stale",
    latency_ms: null,
    error: { category: "refused", message: "connection refused: nothing listens on this socket" },
  });
  for (const width of [10, 39, 79]) {
    const text = renderLiveLine(long, { colour: false, width });
    assert.equal([...text].length, width, text);
    assert.ok(text.endsWith("…"), text);
    const coloured = renderLiveLine(long, { colour: true, width });
    assert.equal(coloured, "\x1b[31m" + text + "\x1b[0m");
  }
  const short = renderLiveLine(live(), { colour: false, width: 200 });
  assert.ok(!short.endsWith("…"), "a line that fits is not cut");
});

Deno.test("paths below the base dir are shown relative to it", () => {
  const text = renderLiveLine(live(), { colour: false, width: null, baseDir: "/run/user/1000" });
  assert.match(text, / sway-ipc\.1000\.812\.sock$/);
  assert.doesNotMatch(text, /\/run\/user/);
});
