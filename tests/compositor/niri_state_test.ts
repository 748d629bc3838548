import assert from "node:assert/strict";
import {
  INITIAL_NIRI_STATE,
  niriFocusedWindow,
  niriOpenedWindow,
  type NiriState,
  reduceNiriEvent,
} from "../../src/compositor/niri_state.ts";
import { parseNiriEvent } from "../../src/compositor/niri_codec.ts";

/** The event lines of protocols/compositor-ipc.md §1.6 (niri >= 25.11 shape), after the Ok reply. */
const FIXTURE_LINES = [
  `{"WorkspacesChanged":{"workspaces":[{"id":1,"idx":1,"name":null,"output":"eDP-1","is_urgent":false,"is_active":true,"is_focused":true,"active_window_id":7}]}}`,
  `{"WindowsChanged":{"windows":[{"id":7,"title":"nvim","app_id":"kitty","pid":41230,"workspace_id":1,"is_focused":true,"is_floating":false,"is_urgent":false,"layout":{"pos_in_scrolling_layout":[1,1],"tile_size":[960.0,1080.0],"window_size":[956,1076],"tile_pos_in_workspace_view":[0.0,0.0],"window_offset_in_tile":[2.0,2.0]},"focus_timestamp":{"secs":5123,"nanos":250000000}}]}}`,
  `{"OverviewOpenedOrClosed":{"is_open":false}}`,
  `{"ConfigLoaded":{"failed":false}}`,
  `{"WindowOpenedOrChanged":{"window":{"id":8,"title":"Mozilla Firefox","app_id":"firefox","pid":41301,"workspace_id":1,"is_focused":true,"is_floating":false,"is_urgent":false,"layout":{"pos_in_scrolling_layout":[2,1],"tile_size":[960.0,1080.0],"window_size":[956,1076],"tile_pos_in_workspace_view":[960.0,0.0],"window_offset_in_tile":[2.0,2.0]},"focus_timestamp":{"secs":5130,"nanos":12000000}}}}`,
  `{"WindowFocusChanged":{"id":7}}`,
  `{"WindowFocusTimestampChanged":{"id":7,"focus_timestamp":{"secs":5131,"nanos":500000000}}}`,
  `{"WindowFocusChanged":{"id":null}}`,
  `{"WindowClosed":{"id":8}}`,
];

function replay(lines: string[], state: NiriState = INITIAL_NIRI_STATE): NiriState[] {
  const states: NiriState[] = [];
  for (const line of lines) {
    state = reduceNiriEvent(state, parseNiriEvent(line));
    states.push(state);
  }
  return states;
}

const ev = (value: unknown) => parseNiriEvent(JSON.stringify(value));

const focusedIds = (states: NiriState[]) => states.map((state) => state.focusedId);

Deno.test("the documented fixture stream yields focus 7, 8, 7, none, none in order", () => {
  const states = replay(FIXTURE_LINES);
  assert.deepEqual(focusedIds(states), [null, 7, 7, 7, 8, 7, 7, null, null]);
  assert.deepEqual([...states.at(-1)!.windows.keys()], [7]);
});

Deno.test("the initial WindowsChanged gives the focused window with pid and app id", () => {
  const [, windows] = replay(FIXTURE_LINES.slice(0, 2));
  assert.deepEqual(niriFocusedWindow(windows!), {
    windowId: 7,
    pid: 41230,
    appId: "kitty",
    title: "nvim",
  });
});

Deno.test("WindowOpenedOrChanged with is_focused:true takes focus and unfocuses the others", () => {
  const states = replay(FIXTURE_LINES.slice(0, 5));
  const state = states.at(-1)!;
  assert.deepEqual(niriFocusedWindow(state), {
    windowId: 8,
    pid: 41301,
    appId: "firefox",
    title: "Mozilla Firefox",
  });
  assert.equal(state.windows.get(7)!.is_focused, false);
});

Deno.test("WindowOpenedOrChanged of the focused window with is_focused:false clears focus", () => {
  const [state] = replay([
    `{"WindowsChanged":{"windows":[{"id":3,"title":"a","app_id":"kitty","pid":9,"is_focused":true}]}}`,
  ]);
  const after = reduceNiriEvent(
    state!,
    ev({
      WindowOpenedOrChanged: {
        window: { id: 3, title: "b", app_id: "kitty", pid: 9, is_focused: false },
      },
    }),
  );
  assert.equal(after.focusedId, null);
  assert.equal(niriFocusedWindow(after), null);
});

Deno.test("an unfocused window opening leaves focus where it was", () => {
  const [state] = replay([
    `{"WindowsChanged":{"windows":[{"id":3,"title":"a","app_id":"kitty","pid":9,"is_focused":true}]}}`,
  ]);
  const after = reduceNiriEvent(
    state!,
    ev({
      WindowOpenedOrChanged: { window: { id: 4, title: null, app_id: "foot", is_focused: false } },
    }),
  );
  assert.equal(after.focusedId, 3);
  assert.equal(after.windows.size, 2);
});

Deno.test("WindowFocusChanged with id null means nothing is focused", () => {
  const states = replay(FIXTURE_LINES.slice(0, 2));
  const after = reduceNiriEvent(states.at(-1)!, ev({ WindowFocusChanged: { id: null } }));
  assert.equal(niriFocusedWindow(after), null);
  assert.equal(after.windows.get(7)!.is_focused, false);
});

Deno.test("closing the focused window clears focus; closing another keeps it", () => {
  const states = replay(FIXTURE_LINES.slice(0, 5)); // 7 and 8 known, 8 focused
  const state = states.at(-1)!;
  assert.equal(reduceNiriEvent(state, ev({ WindowClosed: { id: 7 } })).focusedId, 8);
  assert.equal(reduceNiriEvent(state, ev({ WindowClosed: { id: 8 } })).focusedId, null);
});

Deno.test("focus on an id not yet described is reported with unknown pid and app id", () => {
  const after = reduceNiriEvent(INITIAL_NIRI_STATE, ev({ WindowFocusChanged: { id: 42 } }));
  assert.deepEqual(niriFocusedWindow(after), { windowId: 42, pid: null, appId: null });
});

Deno.test("pre-25.01 windows without pid are accepted with pid null", () => {
  const [state] = replay([
    `{"WindowsChanged":{"windows":[{"id":1,"title":"t","app_id":"kitty","workspace_id":1,"is_focused":true}]}}`,
  ]);
  assert.deepEqual(niriFocusedWindow(state!), {
    windowId: 1,
    pid: null,
    appId: "kitty",
    title: "t",
  });
});

Deno.test("unknown variants, workspace events and WindowFocusTimestampChanged leave the state as it was", () => {
  const [state] = replay(FIXTURE_LINES.slice(1, 2));
  for (
    const event of [
      { CastsChanged: { casts: [] } },
      { WindowFocusTimestampChanged: { id: 99, focus_timestamp: null } },
      { WindowFocusTimestampChanged: { id: 7, focus_timestamp: { secs: 5200, nanos: 0 } } },
      { WorkspaceActivated: { id: 2, focused: true } },
      { WorkspaceActiveWindowChanged: { workspace_id: 1, active_window_id: 8 } },
      { WorkspaceActiveWindowChanged: { workspace_id: 1, active_window_id: null } },
      { SomethingFromTheFuture: {} },
    ]
  ) {
    assert.equal(reduceNiriEvent(state!, ev(event)), state);
  }
});

Deno.test("the reducer does not mutate the state it was given", () => {
  const states = replay(FIXTURE_LINES.slice(0, 2));
  const before = states.at(-1)!;
  reduceNiriEvent(before, ev({ WindowFocusChanged: { id: null } }));
  reduceNiriEvent(before, ev({ WindowClosed: { id: 7 } }));
  assert.equal(before.focusedId, 7);
  assert.equal(before.windows.get(7)!.is_focused, true);
});

Deno.test("niriOpenedWindow reports a window id the state does not know, not a change to one it does", () => {
  const win = (id: number, focused: boolean) => ({
    id,
    title: null,
    app_id: "kitty",
    pid: 1000 + id,
    workspace_id: 1,
    is_focused: focused,
  });
  const state = reduceNiriEvent(
    INITIAL_NIRI_STATE,
    ev({ WindowsChanged: { windows: [win(1, true)] } }),
  );
  assert.deepEqual(
    niriOpenedWindow(state, ev({ WindowOpenedOrChanged: { window: win(2, false) } })),
    { windowId: 2, pid: 1002, appId: "kitty" },
  );
  assert.equal(
    niriOpenedWindow(state, ev({ WindowOpenedOrChanged: { window: win(1, true) } })),
    null,
  );
  assert.equal(niriOpenedWindow(state, ev({ WindowFocusChanged: { id: 2 } })), null);
});
