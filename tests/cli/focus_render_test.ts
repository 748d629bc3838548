import assert from "node:assert/strict";
import {
  type FocusStatus,
  focusWaybarLine,
  renderFocusLine,
  renderFocusStatus,
} from "../../src/cli/focus_render.ts";
import { isoTimestamp, localClockTime } from "../../src/platform/time_format.ts";

const AT = Date.UTC(2026, 11, 4, 14, 16, 33, 120);
const TS = isoTimestamp(AT);
const CLOCK = localClockTime(AT);

Deno.test("an action is one readable line: local time, ↑/↓, kitty and window, result, latency", () => {
  assert.equal(
    renderFocusLine({
      ts: TS,
      event: "focus_gained",
      pid: 4121,
      os_window_id: 2,
      window_id: 5,
      status: "success",
      attempts: 1,
      latency_ms: 9.81,
      error: null,
      reason: null,
    }),
    `${CLOCK} ↑ kitty 4121 OS window 2 (compositor window 5): grown in 9.81 ms`,
  );
  assert.equal(
    renderFocusLine({
      ts: TS,
      event: "focus_lost",
      pid: 4121,
      os_window_id: null,
      window_id: 5,
      status: "failed",
      attempts: 3,
      latency_ms: 612.4,
      error: { category: "timeout", message: "kitty 4121: no answer within 2000 ms" },
      reason: null,
    }),
    `${CLOCK} ↓ kitty 4121 (compositor window 5): FAILED after 612 ms, 3 attempts: kitty 4121: no answer within 2000 ms`,
  );
  assert.equal(
    renderFocusLine({
      ts: TS,
      event: "focus_lost",
      pid: 7,
      os_window_id: null,
      window_id: null,
      status: "skipped",
      attempts: 0,
      latency_ms: 0.01,
      error: null,
      reason: "not enlarged",
    }),
    `${CLOCK} ↓ kitty 7: skipped (not enlarged)`,
  );
});

Deno.test("connection changes are one readable line each", () => {
  assert.equal(
    renderFocusLine({
      ts: TS,
      event: "status_changed",
      compositor: "sway",
      from: "connected",
      to: "reconnecting",
      error: { category: "closed", message: "sway: event stream closed" },
    }),
    `${CLOCK} sway: connected → reconnecting: sway: event stream closed`,
  );
  assert.equal(
    renderFocusLine({
      ts: TS,
      event: "status_changed",
      kitty_pid: 4200,
      from: "unknown",
      to: "ready",
      error: null,
    }),
    `${CLOCK} kitty 4200: unknown → ready`,
  );
  assert.equal(
    renderFocusLine({
      ts: TS,
      event: "reconnect_attempt",
      compositor: "sway",
      attempt: 2,
      max_attempts: null,
      next_retry_ms: 3801.67,
      error: { category: "not_configured", message: "no live sway IPC socket" },
    }),
    `${CLOCK} sway: reconnect attempt 2 failed, next in 3.8 s: no live sway IPC socket`,
  );
});

function status(overrides: Partial<FocusStatus["connection"]> = {}): FocusStatus {
  return {
    daemon: "focus",
    pid: 99,
    uptime_ms: 125_000,
    reconnection_count: 1,
    connection: {
      compositor: "sway",
      socket_path: "/run/user/1000/sway-ipc.1000.5.sock",
      status: "connected",
      error: null,
      latency_ms: 0.41,
      uptime_ms: 61_000,
      since_at: TS,
      next_retry_ms: null,
      ...overrides,
    },
    focused: { window_id: 5, pid: 4121, app_id: "kitty" },
    settings: { app_ids: ["kitty"], font_delta: 3 },
    kitties: [{
      pid: 4121,
      status: "ready",
      error: null,
      version: "0.26.5",
      pooled: false,
      last_activity_at: TS,
      errors: [{ ts: TS, category: "timeout", message: "kitty 4121: no answer" }],
      enlarged_pt: 3,
      focused: true,
    }],
  };
}

Deno.test("focus status: short durations, local times, singular counts", () => {
  const text = renderFocusStatus(status());
  assert.match(text, /^tether focus \(pid 99, up 2 min 5 s, app id "kitty", ±3 pt\)$/m);
  assert.match(
    text,
    /compositor: sway connected \S+, for 1 min 1 s, latency 0\.41 ms, 1 reconnection$/m,
  );
  assert.match(
    text,
    new RegExp(
      `kitty 4121: ready — focused, enlarged \\+3 pt, not pooled \\(kitty 0\\.26\\.5\\), last activity ${CLOCK}, 1 error$`,
      "m",
    ),
  );
  assert.match(text, new RegExp(`last error ${CLOCK} \\[timeout\\]`));
  assert.doesNotMatch(text, /\d{4}-\d\d-\d\dT/, "no ISO times for people");
  assert.doesNotMatch(text, /1 errors|1 reconnections/);
});

Deno.test("focus status names every app id it follows", () => {
  const data = status();
  data.settings.app_ids = ["kitty", "kitty-dropdown"];
  assert.match(
    renderFocusStatus(data),
    /^tether focus \(pid 99, up 2 min 5 s, app ids "kitty", "kitty-dropdown", ±3 pt\)$/m,
  );
});

Deno.test("focus status while reconnecting: since when and the next retry, never 'connected for 0 s' or a long float", () => {
  const text = renderFocusStatus(status({
    status: "reconnecting",
    uptime_ms: 0,
    latency_ms: null,
    next_retry_ms: 3801.665283203125,
    error: { category: "refused", message: "no live sway IPC socket" },
  }));
  assert.match(
    text,
    new RegExp(`compositor: sway reconnecting \\S+, since ${CLOCK}, next retry in 3\\.8 s`),
  );
  assert.match(text, /^ {2}no live sway IPC socket$/m);
  assert.doesNotMatch(text, /connected for|3801\.66|for 0 ms/);
});

Deno.test("focus status waybar: the focused kitty, its state and the compositor link", () => {
  const ok = focusWaybarLine(status(), null);
  assert.deepEqual(Object.keys(ok).sort(), ["class", "text", "tooltip"]);
  assert.equal(ok.text, "kitty 4121 +3");
  assert.equal(ok.class, "ok");
  assert.match(ok.tooltip, /^sway: connected\nkitty 4121: ready\n1 kitty known$/);
  const reconnecting = focusWaybarLine(status({ status: "reconnecting" }), null);
  assert.equal(reconnecting.class, "reconnecting");
  const broken = status();
  broken.kitties[0]!.status = "failed";
  broken.kitties[0]!.error = { category: "auth", message: "kitty 4121: wrong password" };
  const failed = focusWaybarLine(broken, null);
  assert.equal(failed.class, "failed");
  assert.match(failed.tooltip, /kitty 4121: failed \(kitty 4121: wrong password\)/);
  const other = status();
  other.kitties[0]!.focused = false;
  other.focused = { window_id: 9, pid: 1, app_id: "firefox" };
  assert.equal(focusWaybarLine(other, null).text, "not a kitty");
});
