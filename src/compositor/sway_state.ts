/**
 * Pure focus reducer for sway (protocols/compositor-ipc.md §2): the initial focus comes from
 * GET_TREE (sway sends no state on SUBSCRIBE); then `window` events (`focus`, `close`) and
 * `workspace` events move it. Switching to an empty workspace sends only workspace events, and
 * closing the last window on a workspace sends only `close`: both mean nothing is focused.
 *
 * @module
 */
import { ConnectionError } from "../resilience/errors.ts";
import type { FocusedWindow } from "./focus_source.ts";

/** sway's focus as tether tracks it. */
export interface SwayState {
  /** The focused window, or null (empty workspace, last window closed, nothing known yet). */
  readonly focused: FocusedWindow | null;
}

/** The state before GET_TREE answered. */
export const INITIAL_SWAY_STATE: SwayState = { focused: null };

/** Which subscribed event a payload belongs to. */
export type SwayEventKind = "window" | "workspace";

/**
 * The focused window in a GET_TREE reply: the node with `focused: true`. When that node is a
 * workspace (or output), no window has focus.
 *
 * @example
 * ```ts
 * swayFocusFromTree(JSON.parse(treeJson)); // { windowId: 5, pid: 4268, appId: "kitty" }
 * ```
 */
export function swayFocusFromTree(tree: unknown): FocusedWindow | null {
  if (!isRecord(tree)) throw malformed("GET_TREE reply must be a JSON object", tree);
  const focused = findFocusedNode(tree, 0);
  return focused !== null && isWindowNode(focused) ? toFocusedWindow(focused) : null;
}

/**
 * Folds one `window` or `workspace` event payload into the state. Other changes (`new`,
 * `title`, `move`, …) leave it unchanged. A payload without the fields the change needs throws
 * a `protocol` {@link ConnectionError}; the caller logs and skips it.
 */
export function reduceSwayEvent(
  state: SwayState,
  kind: SwayEventKind,
  payload: unknown,
): SwayState {
  if (!isRecord(payload) || typeof payload.change !== "string") {
    throw malformed(`${kind} event needs a "change" string`, payload);
  }
  return kind === "window" ? windowEvent(state, payload) : workspaceEvent(state, payload);
}

/**
 * The window a `window` event with `change: "new"` opened, or null for any other payload
 * (`tether focus` checks a new kitty in the background before it gets focus).
 *
 * @example
 * ```ts
 * swayOpenedWindow({ change: "new", container: { id: 9, pid: 4300, app_id: "kitty" } }); // { windowId: 9, pid: 4300, appId: "kitty" }
 * ```
 */
export function swayOpenedWindow(payload: unknown): FocusedWindow | null {
  if (!isRecord(payload) || payload.change !== "new") return null;
  const container = payload.container;
  return isRecord(container) && isId(container.id) ? toFocusedWindow(container) : null;
}

function windowEvent(state: SwayState, payload: Record<string, unknown>): SwayState {
  if (payload.change !== "focus" && payload.change !== "close") return state;
  const container = payload.container;
  if (!isRecord(container) || !isId(container.id)) {
    throw malformed(`window ${payload.change} event needs a container with an id`, payload);
  }
  if (payload.change === "focus") return { focused: toFocusedWindow(container) };
  return state.focused?.windowId === container.id ? { focused: null } : state;
}

function workspaceEvent(state: SwayState, payload: Record<string, unknown>): SwayState {
  if (payload.change !== "focus") return state;
  const current = payload.current;
  if (!isRecord(current)) throw malformed("workspace focus event needs current", payload);
  // A non-empty workspace is followed by a window focus event in the same millisecond.
  return containsWindow(current, 0) ? state : { focused: null };
}

/** How deep a tree may nest before it is treated as malformed (real trees are < 10 deep). */
const MAX_TREE_DEPTH = 64;

function findFocusedNode(
  node: Record<string, unknown>,
  depth: number,
): Record<string, unknown> | null {
  if (depth > MAX_TREE_DEPTH) throw malformed("tree nests too deeply", "…");
  if (node.focused === true) return node;
  for (const child of children(node)) {
    const found = findFocusedNode(child, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

function containsWindow(node: Record<string, unknown>, depth: number): boolean {
  if (depth > MAX_TREE_DEPTH) throw malformed("tree nests too deeply", "…");
  return children(node).some((child) => isWindowNode(child) || containsWindow(child, depth + 1));
}

function children(node: Record<string, unknown>): Record<string, unknown>[] {
  const all: unknown[] = [
    ...(Array.isArray(node.nodes) ? node.nodes : []),
    ...(Array.isArray(node.floating_nodes) ? node.floating_nodes : []),
  ];
  return all.filter(isRecord);
}

/** A view: a con that holds a client (pid, app id or X11 window), not a split container. */
function isWindowNode(node: Record<string, unknown>): boolean {
  if (node.type !== "con" && node.type !== "floating_con") return false;
  return typeof node.pid === "number" || typeof node.app_id === "string" ||
    typeof node.window === "number";
}

function toFocusedWindow(container: Record<string, unknown>): FocusedWindow {
  const pid = container.pid;
  const windowProperties = isRecord(container.window_properties) ? container.window_properties : {};
  const appId = typeof container.app_id === "string"
    ? container.app_id
    : typeof windowProperties.class === "string"
    ? windowProperties.class
    : null;
  const x11 = container.window;
  const title = typeof container.name === "string"
    ? container.name
    : typeof windowProperties.title === "string"
    ? windowProperties.title
    : null;
  return {
    windowId: container.id as number,
    pid: typeof pid === "number" && Number.isInteger(pid) && pid > 0 ? pid : null,
    appId,
    ...(typeof x11 === "number" && Number.isInteger(x11) && x11 > 0 ? { x11WindowId: x11 } : {}),
    ...(title !== null ? { title } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function malformed(what: string, value: unknown): ConnectionError {
  const shown = JSON.stringify(value) ?? String(value);
  return new ConnectionError(
    "protocol",
    `sway event: ${what}, got ${shown.length > 120 ? shown.slice(0, 120) + "…" : shown}`,
    { recoverable: false },
  );
}
