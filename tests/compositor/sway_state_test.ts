import assert from "node:assert/strict";
import {
  INITIAL_SWAY_STATE,
  reduceSwayEvent,
  swayFocusFromTree,
  swayOpenedWindow,
} from "../../src/compositor/sway_state.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

/** A window `focus` payload as sway 1.7 sent it (protocols/compositor-ipc.md §2.2). */
const FOCUS_KITTY = {
  change: "focus",
  container: {
    id: 5,
    type: "con",
    focused: true,
    name: "one",
    app_id: "kitty",
    pid: 4268,
    window: null,
    shell: "xdg_shell",
    nodes: [],
    floating_nodes: [],
  },
};

const view = (id: number, pid: number, appId: string, focused = false) => ({
  id,
  type: "con",
  focused,
  app_id: appId,
  pid,
  nodes: [],
  floating_nodes: [],
});

const workspace = (name: string, nodes: unknown[], focused = false) => ({
  id: 100 + nodes.length,
  type: "workspace",
  name,
  focused,
  nodes,
  floating_nodes: [],
});

const tree = (...workspaces: unknown[]) => ({
  id: 1,
  type: "root",
  focused: false,
  nodes: [{ id: 2, type: "output", name: "HEADLESS-1", focused: false, nodes: workspaces }],
});

Deno.test("GET_TREE: the focused view gives window id, pid and app id", () => {
  const focus = swayFocusFromTree(
    tree(workspace("1", [{
      id: 9,
      type: "con",
      focused: false,
      nodes: [view(4, 11, "foot"), view(5, 4268, "kitty", true)],
    }])),
  );
  assert.deepEqual(focus, { windowId: 5, pid: 4268, appId: "kitty" });
});

Deno.test("GET_TREE: a focused workspace means no window has focus", () => {
  assert.equal(swayFocusFromTree(tree(workspace("1", [], true))), null);
});

Deno.test("GET_TREE: a focused floating window is found", () => {
  const ws = {
    ...workspace("1", []),
    floating_nodes: [{ ...view(6, 77, "kitty", true), type: "floating_con" }],
  };
  assert.deepEqual(swayFocusFromTree(tree(ws)), { windowId: 6, pid: 77, appId: "kitty" });
});

Deno.test("window focus event sets the focused window", () => {
  const state = reduceSwayEvent(INITIAL_SWAY_STATE, "window", FOCUS_KITTY);
  assert.deepEqual(state.focused, { windowId: 5, pid: 4268, appId: "kitty", title: "one" });
});

Deno.test("Xwayland windows use window_properties.class as app id", () => {
  const state = reduceSwayEvent(INITIAL_SWAY_STATE, "window", {
    change: "focus",
    container: {
      id: 8,
      type: "con",
      app_id: null,
      pid: 300,
      window: 4194310,
      window_properties: { class: "kitty" },
    },
  });
  // The X11 window id maps the window to kitty's OS window exactly (platform_window_id).
  assert.deepEqual(state.focused, { windowId: 8, pid: 300, appId: "kitty", x11WindowId: 4194310 });
});

Deno.test("closing the focused window clears focus; closing another window does not", () => {
  const focused = reduceSwayEvent(INITIAL_SWAY_STATE, "window", FOCUS_KITTY);
  const closeOther = { change: "close", container: { ...FOCUS_KITTY.container, id: 6 } };
  assert.equal(reduceSwayEvent(focused, "window", closeOther), focused);
  const closeFocused = { change: "close", container: FOCUS_KITTY.container };
  assert.equal(reduceSwayEvent(focused, "window", closeFocused).focused, null);
});

Deno.test("new, title and other window changes leave focus alone", () => {
  const focused = reduceSwayEvent(INITIAL_SWAY_STATE, "window", FOCUS_KITTY);
  for (const change of ["new", "title", "move", "floating", "urgent", "mark", "fullscreen_mode"]) {
    const payload = { change, container: { ...FOCUS_KITTY.container, id: 77, pid: 1 } };
    assert.equal(reduceSwayEvent(focused, "window", payload), focused);
  }
});

Deno.test("focusing an empty workspace means nothing is focused", () => {
  const focused = reduceSwayEvent(INITIAL_SWAY_STATE, "window", FOCUS_KITTY);
  const state = reduceSwayEvent(focused, "workspace", {
    change: "focus",
    current: workspace("2", [], true),
    old: workspace("1", [view(5, 4268, "kitty")]),
  });
  assert.equal(state.focused, null);
});

Deno.test("focusing a workspace with windows waits for the window focus event", () => {
  const focused = reduceSwayEvent(INITIAL_SWAY_STATE, "window", FOCUS_KITTY);
  const state = reduceSwayEvent(focused, "workspace", {
    change: "focus",
    current: workspace("3", [{ id: 20, type: "con", nodes: [view(21, 5, "foot")] }], true),
  });
  assert.equal(state, focused);
});

Deno.test("workspace init/empty/rename events leave focus alone", () => {
  const focused = reduceSwayEvent(INITIAL_SWAY_STATE, "window", FOCUS_KITTY);
  for (const change of ["init", "empty", "rename", "urgent", "move", "reload"]) {
    assert.equal(
      reduceSwayEvent(focused, "workspace", { change, current: workspace("2", []) }),
      focused,
    );
  }
});

Deno.test("malformed payloads are protocol errors, not crashes", () => {
  const cases: [("window" | "workspace"), unknown][] = [
    ["window", null],
    ["window", { change: 3 }],
    ["window", { change: "focus" }],
    ["window", { change: "focus", container: { id: "5" } }],
    ["workspace", { change: "focus" }],
  ];
  for (const [kind, payload] of cases) {
    assert.throws(
      () => reduceSwayEvent(INITIAL_SWAY_STATE, kind, payload),
      (error: unknown) => error instanceof ConnectionError && error.category === "protocol",
    );
  }
  assert.throws(() => swayFocusFromTree("tree"), ConnectionError);
});

Deno.test("an absurdly deep tree is rejected instead of overflowing the stack", () => {
  let node: Record<string, unknown> = { id: 1, type: "con", nodes: [] };
  for (let depth = 0; depth < 200; depth++) node = { id: depth + 2, type: "con", nodes: [node] };
  assert.throws(() => swayFocusFromTree(node), ConnectionError);
});

Deno.test("swayOpenedWindow reads the container of a new event and ignores other changes", () => {
  assert.deepEqual(
    swayOpenedWindow({
      change: "new",
      container: { id: 9, type: "con", pid: 4300, app_id: "kitty" },
    }),
    { windowId: 9, pid: 4300, appId: "kitty" },
  );
  assert.equal(swayOpenedWindow({ change: "focus", container: { id: 9, pid: 4300 } }), null);
  assert.equal(swayOpenedWindow({ change: "new" }), null);
  assert.equal(swayOpenedWindow("garbage"), null);
});

Deno.test("i3 windows: no PID, the X11 window id, class as app id, the title", () => {
  const state = reduceSwayEvent(INITIAL_SWAY_STATE, "window", {
    change: "focus",
    container: {
      id: 94179,
      type: "con",
      name: "~ — zsh",
      window: 6291463,
      window_properties: { class: "kitty", instance: "kitty", title: "~ — zsh" },
    },
  });
  assert.deepEqual(state.focused, {
    windowId: 94179,
    pid: null,
    appId: "kitty",
    x11WindowId: 6291463,
    title: "~ — zsh",
  });
});
