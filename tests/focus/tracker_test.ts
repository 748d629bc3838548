import assert from "node:assert/strict";
import type { FocusedWindow } from "../../src/compositor/focus_source.ts";
import type { EnlargedKitty } from "../../src/focus/enlarged_record.ts";
import {
  type FocusActionLine,
  FocusTracker,
  type FocusTrackerOptions,
  OPENED_KITTY_CHECK_DELAY_MS,
} from "../../src/focus/tracker.ts";
import type { FontChangeResult } from "../../src/kitty/registry.ts";
import type { Clock, TimerHandle } from "../../src/resilience/clock.ts";

/** A clock whose time only moves when a test says so. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 1_700_000_000_000;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let nextId = 1;
  const clock = {
    now: () => now,
    setTimeout(callback: () => void, delayMs: number) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, delayMs), callback });
      return id as unknown as TimerHandle;
    },
    clearTimeout(handle: TimerHandle) {
      timers.delete(handle as unknown as number);
    },
    sleep: () => Promise.resolve(),
    advance(ms: number) {
      now += ms;
      for (const [id, timer] of [...timers]) {
        if (timer.at <= now) {
          timers.delete(id);
          timer.callback();
        }
      }
    },
  };
  return clock;
}

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
  commands: [number, number][];
  lines: FocusActionLine[];
  records: EnlargedKitty[][];
  alive: Set<number>;
  /** Per-PID override of the kitty's answer. */
  answers: Map<number, () => Promise<FontChangeResult>>;
  clock: ReturnType<typeof manualClock>;
}

function harness(options: Partial<FocusTrackerOptions> = {}): Harness {
  const commands: [number, number][] = [];
  const lines: FocusActionLine[] = [];
  const records: EnlargedKitty[][] = [];
  const alive = new Set([100, 200, 300, 400]);
  const answers = new Map<number, () => Promise<FontChangeResult>>();
  const clock = manualClock();
  const tracker = new FocusTracker({
    appId: "kitty",
    deltaPt: 3,
    kitty: {
      changeFontSize(pid, deltaPt) {
        commands.push([pid, deltaPt]);
        const answer = answers.get(pid);
        return answer ? answer() : Promise.resolve(result("success", 1, null));
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
  return { tracker, commands, lines, records, alive, answers, clock };
}

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
  assert.deepEqual(tracker.enlargedPids(), [200]);
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
  assert.deepEqual(tracker.enlargedPids(), [100]);
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
  assert.deepEqual(tracker.enlargedPids(), []);
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
  // Let decisions and the other kitties' commands run while kitty 100 hangs.
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(byPid(commands), { 100: [3, -3], 200: [3, -3], 300: [3] });
  assert.deepEqual(tracker.enlargedPids().sort(), [100, 300]);
  release(result("failed", 3, "kitty 100: timed out"));
  await tracker.idle();
  assert.equal(
    lines.find((line) => line.pid === 100 && line.event === "focus_lost")!.status,
    "failed",
  );
  assert.deepEqual(tracker.enlargedPids().sort(), [100, 300], "still enlarged: shrink failed");
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
  assert.deepEqual(tracker.enlargedPids(), [200]);
  assert.deepEqual(records.at(-1), [{ pid: 200, start_time_ms: 2000, delta_pt: 3 }]);
});

Deno.test("the crash record: the still-focused kitty is not grown twice", async () => {
  const { tracker, commands, lines } = harness();
  await tracker.restore([{ pid: 100, start_time_ms: 1000, delta_pt: 3 }]);
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  await tracker.idle();
  assert.deepEqual(commands, []);
  assert.deepEqual(summary(lines), ["focus_gained 100 skipped"]);
  assert.deepEqual(tracker.enlargedPids(), [100]);
});

Deno.test("the crash record: an enlarged kitty that lost focus meanwhile is shrunk by its recorded delta", async () => {
  const { tracker, commands } = harness();
  await tracker.restore([{ pid: 100, start_time_ms: 1000, delta_pt: 5 }]);
  tracker.onTransition({ previous: null, focused: kitty(2, 200) });
  await tracker.idle();
  assert.deepEqual(commands, [[100, -5], [200, 3]]);
});

Deno.test("the crash record ignores dead kitties and reused PIDs", async () => {
  const { tracker, commands, alive } = harness();
  alive.delete(400);
  await tracker.restore([
    { pid: 400, start_time_ms: 4000, delta_pt: 3 },
    { pid: 300, start_time_ms: 1, delta_pt: 3 }, // PID 300 now belongs to a newer process
  ]);
  tracker.onTransition({ previous: null, focused: null });
  await tracker.idle();
  assert.deepEqual(commands, []);
  assert.deepEqual(tracker.enlargedPids(), []);
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
  clock.advance(1500);
  await done;
  assert.deepEqual(records.at(-1), [{ pid: 100, start_time_ms: 1000, delta_pt: 3 }]);
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
  const { tracker, commands } = harness({ appId: "foot" });
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: foot });
  await tracker.idle();
  assert.deepEqual(commands, [[900, 3]]);
});

Deno.test("A -> B -> A in quick succession leaves exactly A enlarged", async () => {
  const { tracker, commands } = harness();
  tracker.onTransition({ previous: null, focused: kitty(1, 100) });
  tracker.onTransition({ previous: kitty(1, 100), focused: kitty(2, 200) });
  tracker.onTransition({ previous: kitty(2, 200), focused: kitty(1, 100) });
  await tracker.idle();
  assert.deepEqual(tracker.enlargedPids(), [100]);
  const net = new Map<number, number>();
  for (const [pid, delta] of commands) net.set(pid, (net.get(pid) ?? 0) + delta);
  assert.equal(net.get(100), 3);
  assert.equal(net.get(200) ?? 0, 0);
});

Deno.test("latency_ms counts from the focus event's arrival", async () => {
  const { tracker, lines, answers, clock } = harness();
  answers.set(100, () => {
    clock.advance(12);
    return Promise.resolve(result("success", 1, null));
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
  for (let step = 0; step < 10; step++) {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    clock.advance(500);
  }
  await tracker.idle();
  assert.equal(calls, 3);
  assert.deepEqual(byPid(commands), { 100: [3, 3, 3] });
  assert.deepEqual(summary(lines), ["focus_gained 100 success"]);
  assert.equal(lines[0]!.attempts, 3, "attempts count every command sent for the grow");
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
  h.clock.advance(OPENED_KITTY_CHECK_DELAY_MS - 1);
  await Promise.resolve();
  assert.deepEqual(checked, []);
  h.clock.advance(1);
  await h.tracker.idle();
  await Promise.resolve();
  assert.deepEqual(checked, [100]);
  assert.deepEqual(h.commands, [], "a check changes no font");
  assert.deepEqual(h.lines, [], "a check prints no action line");
});

Deno.test("shutdown cancels background checks that have not started", async () => {
  const checked: number[] = [];
  const h = harness({ checkInBackground: (pid) => checked.push(pid) });
  h.tracker.onWindowOpened(kitty(4, 100));
  await h.tracker.shutdown(1000);
  h.clock.advance(OPENED_KITTY_CHECK_DELAY_MS);
  await Promise.resolve();
  assert.deepEqual(checked, []);
});
