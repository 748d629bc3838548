/**
 * `tether focus` per kitty OS window on real peers (issue 9), once per peer set: one kitty
 * process with two OS windows (a second `kitty --single-instance` opens its window in the first
 * process) plus a second kitty, each OS window on its own workspace so all have the same size.
 * Sizes are read per OS window through kitty's own `kitty @ ls` (columns/lines), as the user.
 *
 * - headless sway WITH a virtual keyboard (`wtype` holds one connected): kitty learns keyboard
 *   focus, so the mapping is exact; a move between the two OS windows of one kitty shrinks the
 *   one that lost focus and grows the one that gained it.
 * - headless sway WITHOUT a keyboard: kitty may not learn which OS window has focus; then the
 *   two OS windows of the first kitty are `ambiguous` and never resized, and in no case is a
 *   wrong OS window resized; the second kitty (one OS window) is always resized.
 * - i3 under Xvfb: X11 window ids map exactly.
 *
 * On kitty < 0.35 (Debian 12's 0.26.5) the shrink of the OS window that lost focus to another
 * OS window of the same kitty is a reset of all of them (`effect: reset_all`); on newer kitty it
 * is an `action` on exactly that OS window. Each set asserts its own behaviour.
 */
import assert from "node:assert/strict";
import { forEachPeerSet } from "../support/peer_set.ts";
import { runAsUser, TEST_USER } from "../support/test_user.ts";
import { tetherBinary } from "./focus_support.ts";
import {
  assertOnlyEnlarged,
  focusOn,
  geometryOf,
  i3Session,
  line,
  openWindows,
  type OsWindow,
  PASSWORD,
  type Scenario,
  startScenarioTracker,
  swaySession,
  withScenario,
} from "./os_window_scenario.ts";

/**
 * The exact scenario: exactly the focused OS window is enlarged after every move, between OS
 * windows of one kitty too; SIGTERM shrinks back the enlarged one. On Wayland tether first has
 * to see kitty A follow a focus move between its OS windows before it believes A's reports.
 */
async function exactScenario(scenario: Scenario, t: Deno.TestContext) {
  const { a1, a2, b } = await openWindows(scenario);
  const all = [a1, a2, b];
  const wayland = scenario.session.kind === "sway";
  await focusOn(scenario, wayland ? b : a1);
  const base = await geometryOf(scenario, b);
  await assertOnlyEnlarged(scenario, all, base, null, "before tether");
  const tracker = await startScenarioTracker(scenario);
  const targeted = scenario.set.atLeast("kitty", "0.35.0");
  let enlarged: OsWindow = wayland ? b : a1;
  /** Moves focus to `next`: the enlarged one shrinks back (by a reset on kitty < 0.35 when it is in the same kitty), `next` grows. */
  const moveTo = async (next: OsWindow) => {
    const from = tracker.lines.length;
    await focusOn(scenario, next);
    const lost = await line(tracker, "focus_lost", enlarged, from);
    assert.equal(lost.status, "success", JSON.stringify(lost));
    assert.equal(lost.os_window_id, enlarged.osWindowId);
    const sameKitty = enlarged.pid === next.pid;
    // kitty < 0.35 changes only its active OS window (now `next`): the other comes back by a reset.
    assert.equal(
      lost.effect,
      sameKitty && !targeted ? "reset_all" : undefined,
      JSON.stringify(lost),
    );
    const gained = await line(tracker, "focus_gained", next, from, "success");
    assert.equal(gained.os_window_id, next.osWindowId);
    await assertOnlyEnlarged(scenario, all, base, next, `${enlarged.name} -> ${next.name}`);
    enlarged = next;
  };
  try {
    await t.step(`start on ${enlarged.name}: it grows`, async () => {
      const gained = await line(tracker, "focus_gained", enlarged, 0);
      assert.equal(gained.status, "success", JSON.stringify(gained));
      assert.equal(gained.os_window_id, enlarged.osWindowId);
      await assertOnlyEnlarged(scenario, all, base, enlarged, `start on ${enlarged.name}`);
    });
    if (wayland) {
      await t.step(
        "B -> A1: kitty A's first report proves nothing yet (ambiguous); -> A2: it does",
        async () => {
          const from = tracker.lines.length;
          await focusOn(scenario, a1);
          const first = await line(tracker, "focus_gained", a1, from);
          assert.equal(first.status, "ambiguous", JSON.stringify(first));
          assert.equal(first.os_window_id, null);
          await line(tracker, "focus_lost", b, from, "success");
          await assertOnlyEnlarged(scenario, all, base, null, "first focus on A1");
          // A's report moves from A1 to A2 with the compositor's focus: A follows focus.
          const next = tracker.lines.length;
          await focusOn(scenario, a2);
          await line(tracker, "focus_gained", a2, next, "success");
          await assertOnlyEnlarged(scenario, all, base, a2, "A1 -> A2");
          enlarged = a2;
        },
      );
    }
    const moves = wayland ? [a1, b, a2, a1] : [a2, b, a1];
    await t.step(
      `${
        [enlarged, ...moves].map((w) => w.name).join(" -> ")
      }: exactly the focused OS window each time`,
      async () => {
        for (const next of moves) await moveTo(next);
      },
    );
    await t.step("focus status --json lists the OS windows", async () => {
      const status = await runAsUser(
        TEST_USER,
        [...tetherBinary(), "--json", "focus", "status"],
        scenario.session.trackerEnv,
      );
      assert.equal(status.code, 0, status.stderr);
      const data = JSON.parse(status.stdout);
      const rows = data.os_windows as Record<string, unknown>[];
      const row = rows.find((r) => r.pid === a1.pid && r.os_window_id === a1.osWindowId);
      assert.deepEqual({ ...row }, {
        pid: a1.pid,
        os_window_id: a1.osWindowId,
        window_id: a1.conId,
        enlarged_pt: 3,
        focused: true,
        pinned: false,
      });
    });
    await t.step("SIGTERM: the enlarged OS window shrinks back", async () => {
      tracker.signal("SIGTERM");
      assert.equal(await tracker.exited(), 0);
      await assertOnlyEnlarged(scenario, all, base, null, "after SIGTERM");
    });
  } finally {
    await tracker.kill();
    const { stdout, stderr } = tracker.output();
    assert.ok(!stdout.includes(PASSWORD) && !stderr.includes(PASSWORD));
  }
}

/**
 * Without a keyboard: whether kitty learns which OS window is focused depends on the versions
 * (some kitty/sway pairs report it from the toplevel's activated state); tether must never
 * resize a wrong window: at each step either exactly the focused OS window is enlarged (tether
 * knew it) or none is (`ambiguous`).
 */
async function noKeyboardScenario(scenario: Scenario, t: Deno.TestContext) {
  const { a1, a2, b } = await openWindows(scenario);
  const all = [a1, a2, b];
  await focusOn(scenario, a1);
  const base = await geometryOf(scenario, b);
  const tracker = await startScenarioTracker(scenario);
  const outcomes: string[] = [];
  /** Waits for the gained line of `window` and checks the sizes against what it says. */
  const expectRightOrNothing = async (window: OsWindow, from: number) => {
    const gained = await tracker.waitForLine(
      (l) => l.event === "focus_gained" && l.window_id === window.conId,
      { from, what: `${window.name}'s line`, timeoutMs: 45_000 },
    );
    outcomes.push(`${window.name}: ${gained.status}`);
    if (gained.status === "success") {
      assert.equal(gained.os_window_id, window.osWindowId, "the right OS window");
      await assertOnlyEnlarged(scenario, all, base, window, `focus on ${window.name}`);
    } else {
      assert.equal(gained.status, "ambiguous", JSON.stringify(gained));
      assert.equal(gained.os_window_id, null);
      await assertOnlyEnlarged(scenario, all, base, null, `focus on ${window.name}`);
    }
  };
  try {
    await t.step(
      "A1 -> A2 -> B -> A1: the focused OS window or nothing, never another",
      async () => {
        await expectRightOrNothing(a1, 0);
        for (const next of [a2, b, a1]) {
          const from = tracker.lines.length;
          await focusOn(scenario, next);
          await expectRightOrNothing(next, from);
        }
        // B is kitty's only OS window: always known.
        assert.ok(outcomes.includes("B: success"), outcomes.join(", "));
        console.log(`without a keyboard: ${outcomes.join(", ")}`);
      },
    );
    await t.step("SIGTERM: nothing left enlarged", async () => {
      tracker.signal("SIGTERM");
      assert.equal(await tracker.exited(), 0);
      await assertOnlyEnlarged(scenario, all, base, null, "after SIGTERM");
    });
  } finally {
    await tracker.kill();
  }
}

forEachPeerSet((set) => {
  Deno.test({
    name: `tether focus per OS window on real sway with a keyboard ${set.label("kitty", "sway")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => withScenario(set, swaySession(set, true), (s) => exactScenario(s, t)),
  });
  Deno.test({
    name: `tether focus per OS window on real sway without a keyboard ${
      set.label("kitty", "sway")
    }`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => withScenario(set, swaySession(set, false), (s) => noKeyboardScenario(s, t)),
  });
  Deno.test({
    name: `tether focus per OS window on real i3 ${set.label("kitty", "i3")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: (t) => withScenario(set, i3Session(set), (s) => exactScenario(s, t)),
  });
});
