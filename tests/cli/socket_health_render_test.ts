import assert from "node:assert/strict";
import { renderLiveLine, renderTable, rowColour } from "../../src/cli/socket_health_render.ts";
import type { HealthRow } from "../../src/sockets/health.ts";

const row = (overrides: Partial<HealthRow> = {}): HealthRow => ({
  kind: "sway",
  socket_path: "/run/user/1000/sway-ipc.1000.812.sock",
  owner_pid: 812,
  status: "healthy",
  latency_ms: 0.42,
  last_validated: "2026-01-01T00:00:00.000Z",
  error: null,
  detail: "sway 1.7",
  current: true,
  ...overrides,
});

Deno.test("colours: green healthy, yellow slow, orange reconnecting, red down, grey unknown", () => {
  assert.equal(rowColour(row()), "green");
  assert.equal(rowColour(row({ latency_ms: 501 })), "yellow");
  assert.equal(rowColour(row({ kind: "tether", connection_status: "reconnecting" })), "orange");
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
      error: "connection refused",
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
    row({ kind: "tether", reconnection_count: 2, uptime_seconds: 61.4, detail: "tether focus" }),
  ]);
  assert.match(text, /tether focus; reconnections 2; up 61 s/);
});

Deno.test("live lines are plain without colour and wrapped in ANSI with it", () => {
  assert.equal(renderLiveLine(row(), false).includes("\x1b"), false);
  assert.ok(renderLiveLine(row({ status: "stale" }), true).startsWith("\x1b[31m"));
});
