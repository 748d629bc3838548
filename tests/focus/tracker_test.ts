import assert from "node:assert/strict";
import type { FocusedWindow } from "../../src/compositor/focus_source.ts";
import type { EnlargedKitty } from "../../src/focus/enlarged_record.ts";
import type { FocusActionLine } from "../../src/focus/focus_action_line.ts";
import {
  FocusTracker,
  type FocusTrackerOptions,
  OPENED_KITTY_CHECK_DELAY_MS,
} from "../../src/focus/tracker.ts";
import type { LocateResult, OsWindowRef } from "../../src/focus/os_window_locator.ts";
import type { FontChangeResult } from "../../src/kitty/registry.ts";
import { flushMicrotasks, VirtualClock } from "../support/virtual_clock.ts";
import { waitFor } from "../support/wait.ts";

function result(
  status: FontChangeResult["status"],
  attempts: number,
  error: string | null,
): FontChangeResult {
  const category = error === null
    ? null
    : status === "not_configured"
    ? "not_configured"
    : "timeout";
  return { status, attempts, latencyMs: 1, error, category };
}

interface Harness {
  tracker: FocusTracker;
  /** [pid, delta] per command (each compositor window is its own OS window, id = window id). */
  commands: [number, number][];
  /** [pid, OS window id, delta] per command. */
  osCommands: [number, number | null, number][];
  lines: FocusActionLine[];
  records: EnlargedKitty[][];
  alive: Set<number>;
  /** Per-PID override of the kitty's answer. */
  answers: Map<number, () => Promise<FontChangeResult>>;
  /** Per compositor window override of the locator's answer. */
  locations: Map<number, LocateResult>;
  /** Virtual time of every `locate` call. */
  locateTimes: number[];
  clock: VirtualClock;
}

/**
 * A tracker with a fake kitty port and a fake locator: compositor window `w` of kitty `pid` is
 * OS window `w` of that kitty unless `locations` says otherwise.
 */
function harness(options: Partial<FocusTrackerOptions> = {}): Harness {
  const commands: [number, number][] = [];
  const osCommands: [number, number | null, number][] = [];
  const lines: FocusActionLine[] = [];
  const records: EnlargedKitty[][] = [];
  const alive = new Set([100, 200, 300, 400]);
  const answers = new Map<number, () => Promise<FontChangeResult>>();
  const locations = new Map<number, LocateResult>();
  const locateTimes: number[] = [];
  const bound = new Map<number, OsWindowRef>();
  const clock = new VirtualClock(1_700_000_000_000);
  const resolvePid = options.resolvePid ?? ((pid: number) => Promise.resolve(pid));
  const tracker = new FocusTracker({
    appIds: ["kitty"],
    deltaPt: 3,
    kitty: {
      changeOsWindowFontSize(pid, osWindowId, deltaPt) {
        commands.push([pid, deltaPt]);
        osCommands.push([pid, osWindowId, deltaPt]);
        const answer = answers.get(pid);
        return answer ? answer() : Promise.resolve(result("success", 1, null));
      },
    },
    locator: {
      async locate(window: FocusedWindow): Promise<LocateResult> {
        locateTimes.push(clock.now());
        const override = locations.get(window.windowId);
        if (override !== undefined) {
          if (override.kind === "found") bound.set(window.windowId, override.window);
          return override;
        }
        if (window.pid === null) {
          return { kind: "unknown", pid: null, reason: "the compositor did not report a PID" };
        }
        const ref = { pid: await resolvePid(window.pid), osWindowId: window.windowId };
        bound.set(window.windowId, ref);
        return { kind: "found", window: ref, how: "only" };
      },
      peek: (window: FocusedWindow) => bound.get(window.windowId) ?? null,
      observeAfterLoss: () => Promise.resolve(),
      forgetKitty: (pid: number) => {
        for (const [id, ref] of bound) if (ref.pid === pid) bound.delete(id);
      },
    },
    emit: (line) => lines.push(line),
    isAlive: (pid) => alive.has(pid),
    startTimeMs: (pid) => Promise.resolve(pid * 10),
    saveRecord: (enlarged) => {
      records.push(enlarged);
      return Promise.resolve();
    },
    clock,
    ...options,
  });
  return {
    tracker,
    commands,
    osCommands,
    lines,
    records,
    alive,
    answers,
    locations,
    locateTimes,
    clock,
  };
}

/** PIDs of the kitties with an enlarged OS window. */
const enlargedPids = (tracker: FocusTracker) => [
  ...new Set(tracker.osWindows().filter((w) => w.enlarged_pt > 0).map((w) => w.pid)),
];

const kitty = (windowId: number, pid: number | null): FocusedWindow => ({
  windowId,
  pid,
  appId: "kitty",
});
const foot: FocusedWindow = { windowId: 9, pid: 900, appId: "foot" };
/** Commands per kitty, in the order each kitty received them (kitties run independently). */
const byPid = (commands: [number, number][]) => {
  const map: Record<number, number[]> = {};
  for (const [pid, delta] of commands) (map[pid] ??= []).push(delta);
  return map;
};
const summary = (lines: FocusActionLine[]) =>
  lines.map((line) => `${line.event} ${line.pid} ${line.status}`);

Deno.test("A -> B between kitties: grow A at start, then one shrink of A and one grow of B", async () => {
  const { tracker, commands, lines } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: kitty(2, 200) });
  await tracker.idle();
  assert.deepEqual(byPid(commands), { 100: [3, -3], 200: [3] });
  assert.deepEqual(summary(lines).sort(), [
    "focus_gained 100 success",
    "focus_gained 200 success",
    "focus_lost 100 success",
  ]);
  assert.deepEqual(enlargedPids(tracker), [200]);
  const gained = lines.find((line) => line.pid === 200)!;
  assert.equal(gained.window_id, 2);
  assert.equal(gained.attempts, 1);
});

Deno.test("kitty -> other app -> kitty: the other app is never touched", async () => {
  const { tracker, commands } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: foot });
  tracker.onTransition({ previous: foot, focused: kitty(1, 100) });
  await tracker.idle();
  // All three arrive before the first command runs: the blur and re-focus cancel out.
  assert.deepEqual(byPid(commands), { 100: [3] });
  assert.deepEqual(enlargedPids(tracker), [100]);
});

Deno.test("focus between non-kitty windows sends nothing and prints nothing", async () => {
  const { tracker, commands, lines } = harness();
  tracker.onTransition({ previous: null, focused: foot });
  tracker.onTransition({ previous: foot, focused: { ...foot, windowId: 10, pid: 901 } });
  tracker.onTransition({ previous: foot, focused: null });
  await tracker.idle();
  assert.deepEqual(commands, []);
  assert.deepEqual(lines, []);
});

Deno.test("nothing focused (empty workspace, id:null) shrinks the enlarged kitty", async () => {
  const { tracker, commands } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: null });
  await tracker.idle();
  assert.deepEqual(commands, [[100, 3], [100, -3]]);
  assert.deepEqual(enlargedPids(tracker), []);
});

Deno.test("a kitty that could not be grown is not shrunk; its lines say why", async () => {
  const { tracker, commands, lines, answers } = harness();
  answers.set(
    100,
    () =>
      Promise.resolve(
        result("not_configured", 0, "kitty 100: no rc.password — run `tether kitty setup`"),
      ),
  );
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: kitty(2, 200) });
  await tracker.idle();
  assert.deepEqual(commands, [[100, 3], [200, 3]]);
  assert.deepEqual(summary(lines), [
    "focus_gained 100 not_configured",
    "focus_lost 100 skipped",
    "focus_gained 200 success",
  ]);
  assert.match(lines[0]!.error!.message, /tether kitty setup/);
  assert.equal(lines[0]!.error!.category, "not_configured");
  assert.equal(lines[1]!.error, null, "a skip is not a problem");
  assert.equal(lines[1]!.reason, "not enlarged");
});

Deno.test("a hung kitty does not delay the others", async () => {
  const { tracker, commands, lines, answers } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  let release!: (result: FontChangeResult) => void;
  answers.set(100, () => new Promise((resolve) => (release = resolve)));
  tracker.onTransition({ previous: kitty(1, 100), focused: kitty(2, 200) });
  tracker.onTransition({ previous: kitty(2, 200), focused: kitty(3, 300) });
  // The other kitties' commands run while kitty 100 hangs.
  await waitFor(
    () => `kitty 300 grown while 100 hangs: ${JSON.stringify(byPid(commands))}`,
    () => byPid(commands)[300]?.length === 1,
    2000,
    1,
  );
  assert.deepEqual(byPid(commands), { 100: [3, -3], 200: [3, -3], 300: [3] });
  assert.deepEqual(enlargedPids(tracker).sort(), [100, 300]);
  release(result("failed", 3, "kitty 100: timed out"));
  await tracker.idle();
  assert.equal(
    lines.find((line) => line.pid === 100 && line.event === "focus_lost")!.status,
    "failed",
  );
  assert.deepEqual(enlargedPids(tracker).sort(), [100, 300], "still enlarged: shrink failed");
});

Deno.test("a kitty that died is forgotten instead of counted as enlarged", async () => {
  const { tracker, alive, answers, records } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  alive.delete(100);
  answers.set(
    100,
    () => Promise.resolve(result("failed", 3, "kitty 100: connection refused")),
  );
  tracker.onTransition({ previous: kitty(1, 100), focused: kitty(2, 200) });
  await tracker.idle();
  assert.deepEqual(enlargedPids(tracker), [200]);
  assert.deepEqual(records.at(-1), [{
    pid: 200,
    start_time_ms: 2000,
    os_window_id: 2,
    delta_pt: 3,
  }]);
});

Deno.test("the crash record: the still-focused kitty is not grown twice", async () => {
  const { tracker, commands, lines } = harness();
  await tracker.restore([{ pid: 100, start_time_ms: 1000, os_window_id: 1, delta_pt: 3 }]);
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  assert.deepEqual(commands, []);
  assert.deepEqual(summary(lines), ["focus_gained 100 skipped"]);
  assert.deepEqual(enlargedPids(tracker), [100]);
});

Deno.test("the crash record: an enlarged kitty that lost focus meanwhile is shrunk by its recorded delta", async () => {
  const { tracker, commands } = harness();
  await tracker.restore([{ pid: 100, start_time_ms: 1000, os_window_id: 1, delta_pt: 5 }]);
  tracker.onTransition({ previous: null, focused: kitty(2, 200) });
  await tracker.idle();
  assert.deepEqual(commands, [[100, -5], [200, 3]]);
});

Deno.test("the crash record ignores dead kitties and reused PIDs", async () => {
  const { tracker, commands, alive } = harness();
  alive.delete(400);
  await tracker.restore([
    { pid: 400, start_time_ms: 4000, os_window_id: 1, delta_pt: 3 },
    { pid: 300, start_time_ms: 1, os_window_id: 1, delta_pt: 3 }, // PID 300 now belongs to a newer process
  ]);
  tracker.onTransition({ previous: null, focused: null });
  await tracker.idle();
  assert.deepEqual(commands, []);
  assert.deepEqual(enlargedPids(tracker), []);
});

Deno.test("shutdown shrinks the enlarged kitty and empties the record", async () => {
  const { tracker, commands, records } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  await tracker.shutdown(1500);
  assert.deepEqual(commands, [[100, 3], [100, -3]]);
  assert.deepEqual(records.at(-1), []);
  tracker.onTransition({ previous: null, focused: kitty(2, 200) });
  await tracker.idle();
  assert.equal(commands.length, 2, "no transitions after shutdown");
});

Deno.test("shutdown with a hung kitty ends at its budget and keeps it in the record", async () => {
  const { tracker, answers, records, clock } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  answers.set(100, () => new Promise(() => {}));
  const done = tracker.shutdown(1500);
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await clock.advance(1500);
  await done;
  assert.deepEqual(records.at(-1), [{
    pid: 100,
    start_time_ms: 1000,
    os_window_id: 1,
    delta_pt: 3,
  }]);
});

Deno.test("a window PID of a kitty child is resolved to kitty's PID", async () => {
  const { tracker, commands } = harness({
    resolvePid: (pid) => Promise.resolve(pid === 555 ? 100 : pid),
  });
  tracker.onTransition({ previous: null, focused: kitty(1, 555) });
  await tracker.idle();
  assert.deepEqual(commands, [[100, 3]]);
});

Deno.test("a kitty window without a PID is reported as not_configured", async () => {
  const { tracker, commands, lines } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, null) });
  await tracker.idle();
  assert.deepEqual(commands, []);
  assert.deepEqual(summary(lines), ["focus_gained null not_configured"]);
});

Deno.test("a custom --app-id decides what is a kitty", async () => {
  const { tracker, commands } = harness({ appIds: ["foot"] });
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: foot });
  await tracker.idle();
  assert.deepEqual(commands, [[900, 3]]);
});

Deno.test("every --app-id names kitties; other app ids are left alone", async () => {
  const { tracker, commands, lines } = harness({ appIds: ["kitty", "kitty-dropdown"] });
  const dropdown: FocusedWindow = { windowId: 2, pid: 200, appId: "kitty-dropdown" };
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: dropdown });
  tracker.onTransition({ previous: dropdown, focused: foot });
  await tracker.idle();
  assert.deepEqual(byPid(commands), { 100: [3, -3], 200: [3, -3] });
  assert.deepEqual(enlargedPids(tracker), []);
  assert.ok(lines.every((line) => line.pid !== 900), "foot is never a kitty");
});

Deno.test("A -> B -> A in quick succession leaves exactly A enlarged", async () => {
  const { tracker, commands } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: kitty(2, 200) });
  tracker.onTransition({ previous: kitty(2, 200), focused: kitty(1, 100) });
  await tracker.idle();
  assert.deepEqual(enlargedPids(tracker), [100]);
  const net = new Map<number, number>();
  for (const [pid, delta] of commands) net.set(pid, (net.get(pid) ?? 0) + delta);
  assert.equal(net.get(100), 3);
  assert.equal(net.get(200) ?? 0, 0);
});

Deno.test("latency_ms counts from the focus event's arrival", async () => {
  const { tracker, lines, answers, clock } = harness();
  answers.set(100, async () => {
    await clock.advance(12);
    return result("success", 1, null);
  });
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  assert.equal(lines[0]!.latency_ms, 12);
  assert.match(lines[0]!.ts, /^\d{4}-\d\d-\d\dT/);
});

Deno.test("a just-opened kitty whose socket is not there yet is grown once it is", async () => {
  const { tracker, commands, lines, answers, clock } = harness({
    startTimeMs: () => Promise.resolve(1_700_000_000_000 - 500), // started 0.5 s ago
  });
  let calls = 0;
  answers.set(100, () => {
    calls++;
    return Promise.resolve(
      // The first try reached kitty before it was found unusable (1 command), the second did
      // not (no socket yet), the third succeeded after one retry (2 commands).
      calls < 3
        ? result("not_configured", calls === 1 ? 1 : 0, "kitty 100: no remote-control socket")
        : result("success", 2, null),
    );
  });
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  for (let step = 0; step < 10; step++) await clock.advance(500);
  await tracker.idle();
  assert.equal(calls, 3);
  assert.deepEqual(byPid(commands), { 100: [3, 3, 3] });
  assert.deepEqual(summary(lines), ["focus_gained 100 success"]);
  assert.equal(lines[0]!.attempts, 3, "attempts count every command sent for the grow");
});

Deno.test("a just-opened kitty's grow is tried at 0, 250, 750, 1750, 3250 and 5250 ms, then reported", async () => {
  const h = harness({ startTimeMs: () => Promise.resolve(1_700_000_000_000 - 500) });
  const started = h.clock.now();
  const triedAtMs: number[] = [];
  h.answers.set(100, () => {
    triedAtMs.push(h.clock.now() - started);
    return Promise.resolve(result("not_configured", 1, "kitty 100: no remote-control socket"));
  });
  h.tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await h.clock.advance(5249);
  assert.deepEqual(triedAtMs, [0, 250, 750, 1750, 3250]);
  assert.equal(h.lines.length, 0, "still within the grace: nothing reported yet");
  await h.clock.advance(1);
  await h.tracker.idle();
  assert.deepEqual(triedAtMs, [0, 250, 750, 1750, 3250, 5250]);
  assert.deepEqual(summary(h.lines), ["focus_gained 100 not_configured"]);
  assert.equal(h.lines[0]!.attempts, 6);
  assert.deepEqual(h.clock.pending(), [], "no try after the grace");
});

Deno.test("a just-opened kitty's grace ends as soon as focus moves on", async () => {
  const h = harness({ startTimeMs: () => Promise.resolve(1_700_000_000_000 - 500) });
  h.answers.set(100, () => Promise.resolve(result("not_configured", 1, "kitty 100: no socket")));
  h.tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await h.clock.advance(300); // tries at 0 and 250
  h.tracker.onTransition({ previous: kitty(1, 100), focused: foot });
  await h.clock.advance(10_000);
  await h.tracker.idle();
  assert.equal(h.commands.length, 2);
});

Deno.test("a just-opened kitty without a socket is located again every 250 ms for 5.25 s", async () => {
  const h = harness({ startTimeMs: () => Promise.resolve(1_700_000_000_000 - 500) });
  h.locations.set(1, {
    kind: "unknown",
    pid: 100,
    reason: "no socket",
    category: "not_configured",
  });
  const started = h.clock.now();
  h.tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await h.clock.advance(5249);
  assert.equal(h.lines.length, 0, "still within the grace: nothing reported yet");
  await h.clock.advance(1);
  await h.tracker.idle();
  assert.deepEqual(
    h.locateTimes.map((at) => at - started),
    Array.from({ length: 22 }, (_, i) => i * 250),
  );
  assert.deepEqual(summary(h.lines), ["focus_gained 100 not_configured"]);
});

Deno.test("an old kitty that is not configured is reported at once, not retried", async () => {
  const { tracker, commands, answers } = harness({
    startTimeMs: () => Promise.resolve(0),
  });
  answers.set(100, () => Promise.resolve(result("not_configured", 0, "kitty 100: no socket")));
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  assert.equal(commands.length, 1);
});

Deno.test("a kitty window that opens is checked in the background after the delay", async () => {
  const checked: number[] = [];
  const h = harness({
    checkInBackground: (pid) => checked.push(pid),
    resolvePid: (pid) => Promise.resolve(pid === 901 ? 100 : pid),
  });
  h.tracker.onWindowOpened(kitty(4, 901)); // a child PID: resolved to kitty's
  h.tracker.onWindowOpened(foot); // not a kitty
  h.tracker.onWindowOpened(kitty(5, null)); // no PID to check
  await h.clock.advance(OPENED_KITTY_CHECK_DELAY_MS - 1);
  assert.deepEqual(checked, []);
  await h.clock.advance(1);
  await h.tracker.idle();
  await flushMicrotasks();
  assert.deepEqual(checked, [100]);
  assert.deepEqual(h.commands, [], "a check changes no font");
  assert.deepEqual(h.lines, [], "a check prints no action line");
});

Deno.test("shutdown cancels background checks that have not started", async () => {
  const checked: number[] = [];
  const h = harness({ checkInBackground: (pid) => checked.push(pid) });
  h.tracker.onWindowOpened(kitty(4, 100));
  await h.tracker.shutdown(1000);
  await h.clock.advance(OPENED_KITTY_CHECK_DELAY_MS);
  assert.deepEqual(checked, []);
});

// --- OS windows: one kitty process, several OS windows ---------------------------------------

/** Compositor window `windowId` is OS window `osWindowId` of kitty `pid`. */
const osWindow = (h: Harness, windowId: number, pid: number, osWindowId: number) => {
  h.locations.set(windowId, { kind: "found", window: { pid, osWindowId }, how: "focused" });
  return kitty(windowId, pid);
};

Deno.test("a move between two OS windows of one kitty shrinks the one that lost and grows the one that gained", async () => {
  const h = harness();
  const a1 = osWindow(h, 11, 100, 1);
  const a2 = osWindow(h, 12, 100, 2);
  h.tracker.onTransition({ previous: null, focused: a1 });
  h.tracker.onTransition({ previous: a1, focused: a2 });
  await h.tracker.idle();
  assert.deepEqual(h.osCommands, [[100, 1, 3], [100, 1, -3], [100, 2, 3]]);
  assert.deepEqual(
    h.tracker.osWindows().map((w) => [w.os_window_id, w.window_id, w.enlarged_pt, w.focused]),
    [[1, 11, 0, false], [2, 12, 3, true]],
  );
  assert.deepEqual(
    h.lines.map((line) => `${line.event} ${line.pid}/${line.os_window_id} ${line.status}`),
    ["focus_gained 100/1 success", "focus_lost 100/1 success", "focus_gained 100/2 success"],
  );
  await h.tracker.shutdown(1500);
  assert.deepEqual(h.osCommands.at(-1), [100, 2, -3], "SIGTERM shrinks the enlarged OS window");
  assert.deepEqual(h.records.at(-1), []);
});

Deno.test("an ambiguous window is never resized; the one that lost focus is still shrunk", async () => {
  const h = harness();
  const a1 = osWindow(h, 11, 100, 1);
  h.locations.set(12, { kind: "ambiguous", pid: 100, reason: "kitty 100 reports none focused" });
  const a2 = kitty(12, 100);
  h.tracker.onTransition({ previous: null, focused: a1 });
  h.tracker.onTransition({ previous: a1, focused: a2 });
  await h.tracker.idle();
  assert.deepEqual(h.osCommands, [[100, 1, 3], [100, 1, -3]]);
  const ambiguous = h.lines.find((line) => line.status === "ambiguous")!;
  assert.equal(ambiguous.window_id, 12);
  assert.equal(ambiguous.os_window_id, null);
  assert.match(ambiguous.error!.message, /none focused/);
  assert.deepEqual(enlargedPids(h.tracker), []);
});

Deno.test("kitty < 0.35 reset (effect reset_all): every OS window of that kitty is at its size again, the focused one is grown again", async () => {
  const h = harness();
  await h.tracker.restore([
    { pid: 100, start_time_ms: 1000, os_window_id: 1, delta_pt: 3 },
    { pid: 100, start_time_ms: 1000, os_window_id: 2, delta_pt: 3 },
  ]);
  h.answers.set(100, () => {
    const last = h.osCommands.at(-1)!;
    return Promise.resolve(
      last[2] < 0
        ? { ...result("success", 2, null), effect: "reset_all" as const }
        : result("success", 2, null),
    );
  });
  const a2 = osWindow(h, 12, 100, 2);
  h.tracker.onTransition({ previous: null, focused: a2 });
  await h.tracker.idle();
  // Shrinking OS window 1 reset both; OS window 2 (focused) was grown again.
  assert.deepEqual(h.osCommands, [[100, 1, -3], [100, 2, 3]]);
  const reset = h.lines.find((line) => line.effect === "reset_all")!;
  assert.equal(reset.os_window_id, 1);
  assert.deepEqual(
    h.tracker.osWindows().map((w) => [w.os_window_id, w.enlarged_pt]),
    [[1, 0], [2, 3]],
  );
});

Deno.test("--exclude-title: a matching kitty window is never grown; the line says why", async () => {
  const h = harness({ excludeTitles: [/^vim /, /htop/] });
  const a1 = { ...kitty(1, 100), title: "htop — load 0.1" };
  const b1 = { ...kitty(2, 200), title: "zsh" };
  h.tracker.onTransition({ previous: null, focused: b1 });
  h.tracker.onTransition({ previous: b1, focused: a1 });
  await h.tracker.idle();
  assert.deepEqual(h.commands, [[200, 3], [200, -3]]);
  assert.match(h.lines.find((line) => line.pid === 100)!.reason!, /exclude-title/);
});

Deno.test("pin keeps the focused OS window enlarged after focus leaves; unpin shrinks it at once", async () => {
  const h = harness();
  const a1 = osWindow(h, 11, 100, 1);
  const b1 = osWindow(h, 21, 200, 1);
  h.tracker.onTransition({ previous: null, focused: a1 });
  const pinned = await h.tracker.pin();
  assert.deepEqual(pinned, {
    pid: 100,
    os_window_id: 1,
    window_id: 11,
    enlarged_pt: 3,
    focused: true,
    pinned: true,
  });
  h.tracker.onTransition({ previous: a1, focused: b1 });
  h.tracker.onTransition({ previous: b1, focused: a1 });
  h.tracker.onTransition({ previous: a1, focused: b1 });
  await h.tracker.idle();
  assert.deepEqual(h.osCommands.filter(([pid]) => pid === 100), [[100, 1, 3]], "pinned: untouched");
  const unpinned = await h.tracker.unpin();
  assert.equal(unpinned.length, 1);
  await h.tracker.idle();
  assert.deepEqual(h.osCommands.filter(([pid]) => pid === 100), [[100, 1, 3], [100, 1, -3]]);
  assert.deepEqual(h.tracker.osWindows().filter((w) => w.enlarged_pt > 0).map((w) => w.pid), [200]);
});

Deno.test("pin with no kitty focused pins nothing", async () => {
  const h = harness();
  h.tracker.onTransition({ previous: null, focused: foot });
  assert.equal(await h.tracker.pin(), null);
  assert.deepEqual(await h.tracker.unpin(), []);
});

Deno.test("a pinned OS window that is not enlarged is not grown when focused; unpin grows it", async () => {
  const h = harness();
  const a1 = osWindow(h, 11, 100, 1);
  const a2 = osWindow(h, 12, 100, 2);
  h.tracker.onTransition({ previous: null, focused: a1 });
  await h.tracker.idle();
  h.answers.set(100, () => Promise.resolve(result("failed", 1, "kitty 100: timed out")));
  h.tracker.onTransition({ previous: a1, focused: a2 }); // grow of 2 fails, 1 stays enlarged
  await h.tracker.idle();
  h.answers.delete(100);
  assert.ok(await h.tracker.pin());
  h.tracker.onTransition({ previous: a2, focused: a1 });
  h.tracker.onTransition({ previous: a1, focused: a2 });
  await h.tracker.idle();
  assert.deepEqual(
    h.lines.at(-1)!.reason,
    "pinned",
    "focused again: the pinned OS window is left as it is",
  );
  await h.tracker.unpin();
  await h.tracker.idle();
  assert.deepEqual(h.osCommands.at(-1), [100, 2, 3]);
});

Deno.test("a just-opened kitty whose socket is not there yet is located once it is (sway restart)", async () => {
  const h = harness({ startTimeMs: () => Promise.resolve(1_700_000_000_000 - 500) });
  let asked = 0;
  h.locations.set(1, {
    kind: "unknown",
    pid: 100,
    reason: "no socket",
    category: "not_configured",
  });
  const located = {
    kind: "found" as const,
    window: { pid: 100, osWindowId: 1 },
    how: "only" as const,
  };
  h.tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  for (let step = 0; step < 8; step++) {
    await h.clock.advance(250);
    if (++asked === 3) h.locations.set(1, located); // the socket appears after ~0.75 s
  }
  await h.tracker.idle();
  assert.deepEqual(h.osCommands, [[100, 1, 3]]);
  assert.deepEqual(summary(h.lines), ["focus_gained 100 success"]);
});

Deno.test("an old kitty without a socket is reported at once, not waited for", async () => {
  const h = harness({ startTimeMs: () => Promise.resolve(0) });
  h.locations.set(1, {
    kind: "unknown",
    pid: 100,
    reason: "no socket",
    category: "not_configured",
  });
  h.tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await h.tracker.idle();
  assert.deepEqual(summary(h.lines), ["focus_gained 100 not_configured"]);
});
