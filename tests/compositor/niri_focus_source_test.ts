import assert from "node:assert/strict";
import { join } from "node:path";
import type { FocusSourceOptions, FocusTransition } from "../../src/compositor/focus_source.ts";
import { startNiriFocusSource } from "../../src/compositor/niri_focus_source.ts";
import type { ConnectionError } from "../../src/resilience/errors.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { type FakeNiriOptions, type FakeNiriServer, startFakeNiri } from "../fakes/niri_server.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
import { sleep, waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const FAST_RECONNECT = exponentialPolicy({
  initialDelayMs: 20,
  maxDelayMs: 100,
  jitter: "none",
  maxAttempts: 0,
});

async function withRuntimeDir(run: (dir: string) => Promise<void>): Promise<void> {
  await using temp = await tempDir("tether-niri-source-");
  const dir = temp.path;
  await run(dir);
}

const focusedIds = (transitions: FocusTransition[]) =>
  transitions.map((transition) => transition.focused?.windowId ?? null);

/**
 * Runs `run` with a fake niri (`niri`) and a niri focus source on it (FAST_RECONNECT, `options`
 * added) that has reported the initial focus; closes both and removes the runtime dir afterwards.
 */
function withNiriSource(
  niriOptions: Omit<FakeNiriOptions, "path">,
  options: Omit<FocusSourceOptions, "env" | "onTransition">,
  run: (context: {
    niri: FakeNiriServer;
    source: ReturnType<typeof startNiriFocusSource>;
    transitions: FocusTransition[];
  }) => Promise<void>,
): Promise<void> {
  return withRuntimeDir(async (dir) => {
    const path = join(dir, "niri.wayland-1.100.sock");
    const niri = await startFakeNiri({ path, ...niriOptions });
    const transitions: FocusTransition[] = [];
    const source = startNiriFocusSource({
      env: { NIRI_SOCKET: path, XDG_RUNTIME_DIR: dir },
      onTransition: (transition) => transitions.push(transition),
      policy: FAST_RECONNECT,
      ...options,
    });
    try {
      await waitFor("initial focus", () => transitions.length === 1);
      await run({ niri, source, transitions });
    } finally {
      await source.close();
      await niri.close();
    }
  });
}

Deno.test("niri source: initial focus, both focus paths, id:null and closing", () =>
  withNiriSource(
    {
      windows: [{ id: 1, app_id: "kitty", pid: 4000 }, { id: 2, app_id: "foot", pid: 4100 }],
      focusedId: 1,
    },
    {},
    async ({ niri, source, transitions }) => {
      assert.deepEqual(transitions[0], {
        previous: null,
        focused: { windowId: 1, pid: 4000, appId: "kitty" },
      });
      niri.focus(2);
      niri.openWindow({ id: 3, app_id: "kitty", pid: 4200 }, { focused: true });
      niri.retitle(3, "vim"); // repeats the focused window: no transition
      niri.focus(null);
      niri.focus(3);
      niri.closeWindow(3, 1);
      await waitFor("six transitions", () => transitions.length === 6);
      // Closing the focused window: niri sends the new focus first, then WindowClosed, so
      // there is no "nothing focused" in between.
      assert.deepEqual(focusedIds(transitions), [1, 2, 3, null, 3, 1]);
      assert.equal(source.supervisor.state, "connected");
    },
  ));

Deno.test("niri source: a restarted niri on a new socket path is found again and focus resumes", () =>
  withRuntimeDir(async (dir) => {
    const firstPath = join(dir, "niri.wayland-1.100.sock");
    const first = await startFakeNiri({
      path: firstPath,
      windows: [{ id: 1, app_id: "kitty", pid: 4000 }],
      focusedId: 1,
    });
    const transitions: FocusTransition[] = [];
    const source = startNiriFocusSource({
      // $NIRI_SOCKET keeps naming the first niri's socket, as a long-running service's would.
      env: { NIRI_SOCKET: firstPath, XDG_RUNTIME_DIR: dir },
      onTransition: (transition) => transitions.push(transition),
      policy: FAST_RECONNECT,
    });
    let second: Awaited<ReturnType<typeof startFakeNiri>> | null = null;
    try {
      await waitFor("initial focus", () => transitions.length === 1);
      await first.crash(); // leaves a stale socket behind, like SIGKILL
      await waitFor("reconnecting", () => source.supervisor.state === "reconnecting");
      second = await startFakeNiri({
        path: join(dir, "niri.wayland-1.200.sock"),
        windows: [{ id: 10, app_id: "kitty", pid: 5000 }],
        focusedId: 10,
      });
      await waitFor("connected again", () => source.supervisor.state === "connected");
      await waitFor("focus from the new niri", () => transitions.length === 2);
      assert.deepEqual(transitions[1]!.focused, { windowId: 10, pid: 5000, appId: "kitty" });
      assert.equal(source.socketPath(), join(dir, "niri.wayland-1.200.sock"));
      assert.equal(source.supervisor.snapshot().reconnectionCount, 1);
      second.focus(null);
      await waitFor("live events", () => transitions.length === 3);
    } finally {
      await source.close();
      await second?.close();
    }
  }));

Deno.test("niri source: malformed and oversized lines are reported and skipped, focus keeps working", () => {
  const problems: ConnectionError[] = [];
  return withNiriSource(
    {
      windows: [{ id: 1, app_id: "kitty", pid: 4000 }, { id: 2, app_id: "kitty", pid: 4100 }],
      focusedId: 1,
    },
    { onProblem: (problem) => problems.push(problem) },
    async ({ niri, source, transitions }) => {
      niri.sendRaw("{not json");
      niri.sendRaw(`{"WindowFocusChanged":{"id":"x"}}`);
      niri.sendRaw("x".repeat(5 * 1024 * 1024)); // over the 4 MiB line limit
      await waitFor("three problems", () => problems.length === 3);
      // Skipped in place: the same stream goes on, no reconnect.
      assert.equal(source.supervisor.snapshot().reconnectionCount, 0);
      assert.equal(source.supervisor.state, "connected");
      niri.focus(2);
      await waitFor("focus after the bad lines", () => transitions.length === 2);
      assert.equal(transitions[1]!.focused?.windowId, 2);
      assert.ok(problems.every((problem) => problem.category === "protocol"));
    },
  );
});

Deno.test("niri source: a window opening is reported once through onWindowOpened; the initial burst is not", () => {
  const opened: unknown[] = [];
  return withNiriSource(
    { windows: [{ id: 1, app_id: "kitty", pid: 4000 }], focusedId: 1 },
    { onWindowOpened: (window) => opened.push(window) },
    async ({ niri, transitions }) => {
      niri.openWindow({ id: 5, app_id: "kitty", pid: 4500 }, { focused: false });
      niri.retitle(5, "vim"); // a change to a known window: not opened again
      niri.focus(5);
      await waitFor("focus on the new window", () => transitions.length === 2);
      assert.deepEqual(opened, [{ windowId: 5, pid: 4500, appId: "kitty" }]);
    },
  );
});

Deno.test("niri source: however long niri was gone, the first attempt after it returns comes within 10 s", () =>
  withRuntimeDir(async (dir) => {
    const path = join(dir, "niri.wayland-1.100.sock");
    const clock = new VirtualClock();
    const transitions: FocusTransition[] = [];
    const plannedDelaysMs: number[] = [];
    // The default policy (FOCUS_RECONNECT_POLICY) on virtual time; the sockets are real.
    const source = startNiriFocusSource({
      env: { NIRI_SOCKET: path, XDG_RUNTIME_DIR: dir },
      onTransition: (transition) => transitions.push(transition),
      clock,
    });
    source.supervisor.events.on("reconnect_attempt", (event) => {
      plannedDelaysMs.push(event.nextRetryMs);
    });
    const retryAt = async () => {
      await waitFor(
        "the next retry to be planned",
        () => source.supervisor.snapshot().nextRetryAt !== null,
      );
      return source.supervisor.snapshot().nextRetryAt!;
    };
    let niri: Awaited<ReturnType<typeof startFakeNiri>> | null = null;
    try {
      // niri is away for 10 minutes: every attempt fails (no socket).
      const returnsAt = clock.now() + 10 * 60_000;
      let next = await retryAt();
      while (next <= returnsAt) {
        await clock.advance(next - clock.now());
        next = await retryAt();
      }
      await clock.advance(returnsAt - clock.now());
      niri = await startFakeNiri({
        path,
        windows: [{ id: 1, app_id: "kitty", pid: 4000 }],
        focusedId: 1,
      });
      assert.ok(
        next - returnsAt <= 10_000,
        `next attempt ${next - returnsAt} ms after niri returned`,
      );
      await clock.advance(next - clock.now());
      await waitFor("connected", () => source.supervisor.state === "connected");
      await waitFor("focus", () => transitions.length === 1);
      assert.ok(plannedDelaysMs.length > 50, `${plannedDelaysMs.length} attempts in 10 minutes`);
      assert.ok(plannedDelaysMs.every((delay) => delay <= 10_000), plannedDelaysMs.join(","));
    } finally {
      await source.close();
      await niri?.close();
    }
  }));

Deno.test("niri source: workspace and focus-timestamp events cause no transition of their own", () =>
  withNiriSource(
    {
      windows: [
        { id: 1, app_id: "kitty", pid: 4000, workspace_id: 1 },
        { id: 2, app_id: "kitty", pid: 4100, workspace_id: 1 },
        { id: 3, app_id: "foot", pid: 4200, workspace_id: 2 },
      ],
      workspaceIds: [3],
      focusedId: 1,
      focusTimestampDebounceMs: 0, // every focus change is followed by its timestamp event
    },
    {},
    async ({ niri, transitions }) => {
      const steps: [() => void, number | null][] = [
        [() => niri.focus(2), 2], // WorkspaceActiveWindowChanged, WindowFocusChanged, timestamp
        [() => niri.focus(3), 3], // WorkspaceActivated (2), WindowFocusChanged, timestamp
        [() => niri.focusWorkspace(3), null], // an empty workspace: nothing focused
        [() => niri.focusWorkspace(1), 2], // back: its active window
      ];
      for (const [act, expected] of steps) {
        act();
        await waitFor(`focus ${expected}`, () =>
          transitions.length > 0 &&
          (transitions.at(-1)!.focused?.windowId ?? null) === expected);
      }
      // Let the last timestamp event arrive; it must not repeat or undo anything.
      await sleep(50);
      assert.deepEqual(focusedIds(transitions), [1, 2, 3, null, 2]);
    },
  ));

Deno.test("niri source: niri dropping a slow reader (EOF) means reconnect and resync, not a lost focus", () =>
  withNiriSource(
    {
      windows: [{ id: 1, app_id: "kitty", pid: 4000 }, { id: 2, app_id: "kitty", pid: 4100 }],
      focusedId: 1,
    },
    {},
    async ({ niri, source, transitions }) => {
      // niri ends the stream of a client whose buffer filled; focus moves before tether is back.
      niri.dropStreams();
      niri.focus(2);
      assert.equal(niri.streamCount(), 0);
      await waitFor("a new event stream", () => niri.streamCount() === 1);
      await waitFor("focus resynced from the new stream's burst", () => transitions.length === 2);
      assert.deepEqual(transitions[1]!.focused, { windowId: 2, pid: 4100, appId: "kitty" });
      assert.equal(source.supervisor.snapshot().reconnectionCount, 1);
      niri.focus(1);
      await waitFor("live events again", () => transitions.length === 3);
      assert.equal(transitions[2]!.focused?.windowId, 1);
    },
  ));

for (const closedFirst of [false, true]) {
  Deno.test(`niri source: closing the focused window, ${closedFirst ? "WindowClosed" : "WindowFocusChanged"} first, ends on the new focus`, () =>
    withNiriSource(
      {
        windows: [{ id: 1, app_id: "kitty", pid: 4000 }, { id: 2, app_id: "kitty", pid: 4100 }],
        focusedId: 1,
      },
      {},
      async ({ niri, transitions }) => {
        // niri does not promise which of the two comes first (it differs for the last window).
        niri.closeWindow(1, 2, { closedFirst });
        await waitFor("focus on 2", () => transitions.at(-1)?.focused?.windowId === 2);
        // Either order: nothing ever points at the closed window after it closed, and the
        // closed-first order passes through "nothing focused" on the way.
        const after = transitions.slice(1);
        assert.deepEqual(
          after.map((transition) => transition.focused?.windowId ?? null),
          closedFirst ? [null, 2] : [2],
        );
        niri.closeWindow(2, null, { closedFirst: !closedFirst });
        await waitFor(
          "nothing focused",
          () => transitions.length > after.length + 1 && transitions.at(-1)!.focused === null,
        );
      },
    ));
}
