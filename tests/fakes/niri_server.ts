/**
 * A fake niri IPC server for tests.
 *
 * Why a fake: niri has no Debian bookworm package and no crates access here, so no real niri can
 * run on this machine (protocols/compositor-ipc.md §6). This server speaks the wire protocol as
 * written down in protocols/compositor-ipc.md §1 from niri's sources:
 *
 * - JSON lines on a unix socket; requests are serde externally-tagged values (`"Version"`,
 *   `"Windows"`, `"FocusedWindow"`, `"EventStream"`, `{"Action":{"FocusWindow":{"id":N}}}`);
 *   replies are `{"Ok":…}` / `{"Err":"…"}`; an unparsable or unknown request gets
 *   `{"Err":"error parsing request"}` (what a too-old niri answers).
 * - `"EventStream"` answers `{"Ok":"Handled"}`, then the initial burst in niri's order
 *   (`WorkspacesChanged`, `WindowsChanged`, `OverviewOpenedOrClosed`, `ConfigLoaded`), then live
 *   events; after it the server stops reading that connection.
 * - Focus is reported the two ways niri does: `WindowFocusChanged {id}` (including `id: null`)
 *   for a plain focus change, and only `WindowOpenedOrChanged` with `is_focused: true` when a
 *   new window opens focused.
 * - Around focus, the other events niri 25.11 sends, in `ipc_refresh_layout`'s order (workspaces
 *   first, then windows): `WorkspaceActiveWindowChanged` when a workspace's active window
 *   changes, `WorkspaceActivated {id, focused: true}` when focus moves to another workspace,
 *   then the window events; and `WindowFocusTimestampChanged` once a window has kept focus for
 *   the `recent-windows` debounce (750 ms by default; a quicker switch away skips it).
 * - Closing the focused window: the new focus `WindowFocusChanged {id}` comes before
 *   `WindowClosed` (niri's per-window loop runs before its closed-window check); only focus
 *   becoming none (`{id: null}`) comes after it, last.
 * - Windows have the full niri >= 25.11 shape (pid, layout, focus_timestamp, …); a window that
 *   opens has `focus_timestamp: null` until its timestamp is committed.
 * - `close()` unlinks the socket (niri's `Drop`); `crash()` leaves it behind, like SIGKILL.
 * - niri drops an event-stream client that reads too slowly (its buffer fills): the connection
 *   just ends ({@link FakeNiriServer.dropStreams}), niri itself keeps running.
 * - Every line it writes is kept in {@link FakeNiriServer.sent}, for the conformance tests that
 *   check them against niri-ipc's own JSON Schema (tests/compositor/niri_schema_test.ts).
 *
 * Tests drive it with {@link FakeNiriServer.focus}, {@link FakeNiriServer.focusWorkspace},
 * {@link FakeNiriServer.openWindow}, … or inject raw lines (malformed, oversized) with
 * {@link FakeNiriServer.sendRaw}.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { unlink } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { waitFor } from "../support/wait.ts";

/** A window as the fake knows it; the wire form adds niri's remaining fields. */
export interface FakeNiriWindow {
  /** niri window id. */
  id: number;
  /** Wayland app id. */
  app_id: string | null;
  /** Client PID (null like niri < 25.01 or portal windows). */
  pid: number | null;
  /** Title. */
  title?: string | null;
  /** Workspace id (default 1). */
  workspace_id?: number;
}

/** Options for {@link startFakeNiri}. */
export interface FakeNiriOptions {
  /** Socket path to listen on (e.g. `$XDG_RUNTIME_DIR/niri.wayland-1.<pid>.sock`). */
  path: string;
  /** Windows present at start. */
  windows?: FakeNiriWindow[];
  /** The focused window at start, or null. */
  focusedId?: number | null;
  /** The `"Version"` reply. Default `25.11 (fake)`. */
  version?: string;
  /** Workspaces besides those of the windows (e.g. an empty one to switch to). Default none. */
  workspaceIds?: number[];
  /**
   * niri's `recent-windows { debounce-ms }`: how long a window must keep focus before its
   * `WindowFocusTimestampChanged`. Default 750.
   */
  focusTimestampDebounceMs?: number;
}

/** A running fake niri. */
export interface FakeNiriServer {
  /** The socket path. */
  readonly path: string;
  /** Every line it wrote as niri would (replies, events; not {@link sendRaw}'s), in order. */
  sent: string[];
  /** Requests received (parsed JSON, or the raw text if unparsable), in order. */
  readonly requests: unknown[];
  /** How many event streams are connected now. */
  streamCount(): number;
  /** Resolves once at least `count` event streams are connected (polls every 10 ms). */
  waitForStreams(count: number, timeoutMs?: number): Promise<void>;
  /**
   * Focuses an existing window (workspace events first when its workspace's active window or
   * the focused workspace changes, then `WindowFocusChanged {id}`), or nothing (`{id: null}`,
   * e.g. a layer-shell surface took focus).
   */
  focus(id: number | null): void;
  /** Switches to a workspace: `WorkspaceActivated`, then focus moves to its active window. */
  focusWorkspace(id: number): void;
  /** Opens a window; focused ones are announced only by `WindowOpenedOrChanged`. */
  openWindow(window: FakeNiriWindow, options?: { focused?: boolean }): void;
  /** Changes a window's title: `WindowOpenedOrChanged` with the full window. */
  retitle(id: number, title: string): void;
  /**
   * Closes a window; if it had focus, focus moves to `focusNext` (default none). niri does not
   * promise the order of the focused window's `WindowClosed` and the new `WindowFocusChanged`:
   * by default the order niri 25.11 uses (see the module doc); `closedFirst` reverses it.
   */
  closeWindow(id: number, focusNext?: number | null, order?: { closedFirst?: boolean }): void;
  /** Ends every event-stream connection, as niri does to a client that reads too slowly. */
  dropStreams(): void;
  /** Writes one raw line to every event stream (a newline is appended). */
  sendRaw(line: string): void;
  /** The focused window id. */
  focusedId(): number | null;
  /** Ends every connection and stops listening, leaving the socket file (like SIGKILL). */
  crash(): Promise<void>;
  /** Ends every connection, stops listening and unlinks the socket (a clean exit). */
  close(): Promise<void>;
}

/**
 * Leaves a socket file nobody listens on, as a SIGKILLed niri does. Deno's and Node's servers
 * unlink their socket on close, so a short python process binds it and exits without unlinking.
 */
function leaveStaleSocket(path: string): void {
  execFileSync("python3", [
    "-c",
    "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])",
    path,
  ]);
}

interface WindowRecord extends FakeNiriWindow {
  workspaceId: number;
  /** Committed focus timestamp (seconds), null until the window first kept focus. */
  focusTimestampSecs: number | null;
}

/**
 * Starts a fake niri listening on `options.path`.
 *
 * @example
 * ```ts
 * const niri = await startFakeNiri({ path, windows: [{ id: 1, app_id: "kitty", pid: 4000 }], focusedId: 1 });
 * niri.focus(null);
 * await niri.close();
 * ```
 */
export async function startFakeNiri(options: FakeNiriOptions): Promise<FakeNiriServer> {
  const windows = new Map<number, WindowRecord>();
  let tick = 5000;
  for (const window of options.windows ?? []) {
    windows.set(window.id, {
      ...window,
      workspaceId: window.workspace_id ?? 1,
      focusTimestampSecs: tick++,
    });
  }
  let focusedId: number | null = options.focusedId ?? null;
  /** Workspace id -> its active window (the one focused when the workspace is). */
  const workspaces = new Map<number, { activeWindowId: number | null }>();
  for (
    const id of [...[...windows.values()].map((w) => w.workspaceId), ...options.workspaceIds ?? []]
  ) {
    if (workspaces.has(id)) continue;
    const onIt = [...windows.values()].filter((window) => window.workspaceId === id);
    const active = onIt.find((window) => window.id === focusedId) ?? onIt[0];
    workspaces.set(id, { activeWindowId: active?.id ?? null });
  }
  if (workspaces.size === 0) workspaces.set(1, { activeWindowId: null });
  let focusedWorkspace = focusedId !== null
    ? windows.get(focusedId)!.workspaceId
    : workspaces.keys().next().value!;
  const debounceMs = options.focusTimestampDebounceMs ?? 750;
  let pendingTimestamp: ReturnType<typeof setTimeout> | null = null;
  const streams = new Set<Socket>();
  const sockets = new Set<Socket>();
  const requests: unknown[] = [];
  const version = options.version ?? "25.11 (fake)";

  const wire = (window: WindowRecord, index: number) => ({
    id: window.id,
    title: window.title ?? null,
    app_id: window.app_id,
    pid: window.pid,
    workspace_id: window.workspaceId,
    is_focused: window.id === focusedId,
    is_floating: false,
    is_urgent: false,
    layout: {
      pos_in_scrolling_layout: [index + 1, 1],
      tile_size: [960.0, 1080.0],
      window_size: [956, 1076],
      tile_pos_in_workspace_view: [960.0 * index, 0.0],
      window_offset_in_tile: [2.0, 2.0],
    },
    focus_timestamp: window.focusTimestampSecs === null
      ? null
      : { secs: window.focusTimestampSecs, nanos: 0 },
  });
  const wireWindows = () => [...windows.values()].map(wire);
  const wireWindow = (id: number) => {
    const index = [...windows.keys()].indexOf(id);
    return wire(windows.get(id)!, index);
  };
  const sent: string[] = [];
  const send = (socket: Socket, value: unknown) => {
    const line = JSON.stringify(value);
    sent.push(line);
    socket.write(line + "\n");
  };
  const broadcast = (event: unknown) => {
    for (const stream of streams) send(stream, event);
  };
  const workspaceOf = (id: number) => windows.get(id)!.workspaceId;
  /** niri commits a focus timestamp only once the window kept focus for the debounce. */
  const commitFocusTimestampLater = (id: number | null) => {
    if (pendingTimestamp !== null) clearTimeout(pendingTimestamp);
    pendingTimestamp = null;
    if (id === null) return;
    pendingTimestamp = setTimeout(() => {
      pendingTimestamp = null;
      const window = windows.get(id);
      if (window === undefined || focusedId !== id) return;
      window.focusTimestampSecs = tick++;
      broadcast({
        WindowFocusTimestampChanged: {
          id,
          focus_timestamp: { secs: window.focusTimestampSecs, nanos: 0 },
        },
      });
    }, debounceMs);
  };
  /** The workspace events of focus moving to window `id` (ipc_refresh_workspaces). */
  const workspaceEventsForFocus = (id: number): unknown[] => {
    const events: unknown[] = [];
    const workspaceId = workspaceOf(id);
    const workspace = workspaces.get(workspaceId)!;
    if (workspace.activeWindowId !== id) {
      workspace.activeWindowId = id;
      events.push({
        WorkspaceActiveWindowChanged: { workspace_id: workspaceId, active_window_id: id },
      });
    }
    if (focusedWorkspace !== workspaceId) {
      focusedWorkspace = workspaceId;
      events.push({ WorkspaceActivated: { id: workspaceId, focused: true } });
    }
    return events;
  };

  const reply = (request: unknown): unknown => {
    if (request === "Version") return { Ok: { Version: version } };
    if (request === "Windows") return { Ok: { Windows: wireWindows() } };
    if (request === "FocusedWindow") {
      return { Ok: { FocusedWindow: focusedId === null ? null : wireWindow(focusedId) } };
    }
    const action = (request as { Action?: { FocusWindow?: { id?: unknown } } } | null)?.Action;
    const id = action?.FocusWindow?.id;
    if (typeof id === "number") {
      if (!windows.has(id)) return { Err: `window ${id} not found` };
      server.focus(id);
      return { Ok: "Handled" };
    }
    return { Err: "error parsing request" };
  };

  const startStream = (socket: Socket) => {
    streams.add(socket);
    send(socket, { Ok: "Handled" });
    const burst = [
      {
        WorkspacesChanged: {
          workspaces: [...workspaces].map(([id, workspace], index) => ({
            id,
            idx: index + 1,
            name: null,
            output: "HEADLESS-1",
            is_urgent: false,
            is_active: id === focusedWorkspace,
            is_focused: id === focusedWorkspace,
            active_window_id: workspace.activeWindowId,
          })),
        },
      },
      { WindowsChanged: { windows: wireWindows() } },
      { OverviewOpenedOrClosed: { is_open: false } },
      { ConfigLoaded: { failed: false } },
    ];
    for (const event of burst) send(socket, event);
  };

  const listener: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      streams.delete(socket);
    });
    socket.on("error", () => socket.destroy());
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let request: unknown;
        try {
          request = JSON.parse(text);
        } catch {
          requests.push(text);
          send(socket, { Err: "error parsing request" });
          continue;
        }
        requests.push(request);
        if (request === "EventStream") {
          // niri stops reading a connection once it streams events.
          socket.off("data", onData);
          startStream(socket);
          return;
        }
        send(socket, reply(request));
      }
    };
    socket.on("data", onData);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.path, () => resolve());
  });

  const stop = async (removeSocket: boolean) => {
    if (pendingTimestamp !== null) clearTimeout(pendingTimestamp);
    pendingTimestamp = null;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => listener.close(() => resolve()));
    if (removeSocket) await unlink(options.path).catch(() => {});
    else leaveStaleSocket(options.path);
  };

  const server: FakeNiriServer = {
    path: options.path,
    sent,
    requests,
    streamCount: () => streams.size,
    async waitForStreams(count, timeoutMs = 10_000) {
      await waitFor(
        () => `fake niri: ${count} event streams (${streams.size} so far)`,
        () => streams.size >= count,
        timeoutMs,
        10,
      );
    },
    focus(id) {
      if (id !== null && !windows.has(id)) throw new Error(`fake niri: no window ${id}`);
      if (id === focusedId) return;
      const events = id === null ? [] : workspaceEventsForFocus(id);
      focusedId = id;
      events.push({ WindowFocusChanged: { id } });
      for (const event of events) broadcast(event);
      commitFocusTimestampLater(id);
    },
    focusWorkspace(workspaceId) {
      const workspace = workspaces.get(workspaceId);
      if (workspace === undefined) throw new Error(`fake niri: no workspace ${workspaceId}`);
      if (workspaceId === focusedWorkspace) return;
      focusedWorkspace = workspaceId;
      broadcast({ WorkspaceActivated: { id: workspaceId, focused: true } });
      if (workspace.activeWindowId === focusedId) return;
      focusedId = workspace.activeWindowId;
      broadcast({ WindowFocusChanged: { id: focusedId } });
      commitFocusTimestampLater(focusedId);
    },
    openWindow(window, openOptions = {}) {
      const workspaceId = window.workspace_id ?? 1;
      const workspace = workspaces.get(workspaceId);
      if (workspace === undefined) throw new Error(`fake niri: no workspace ${workspaceId}`);
      windows.set(window.id, { ...window, workspaceId, focusTimestampSecs: null });
      let events: unknown[] = [];
      if (openOptions.focused) {
        events = workspaceEventsForFocus(window.id);
        focusedId = window.id;
      } else if (workspace.activeWindowId === null) {
        workspace.activeWindowId = window.id;
        events.push({
          WorkspaceActiveWindowChanged: { workspace_id: workspaceId, active_window_id: window.id },
        });
      }
      events.push({ WindowOpenedOrChanged: { window: wireWindow(window.id) } });
      for (const event of events) broadcast(event);
      if (openOptions.focused) commitFocusTimestampLater(window.id);
    },
    retitle(id, title) {
      const window = windows.get(id);
      if (window === undefined) throw new Error(`fake niri: no window ${id}`);
      window.title = title;
      broadcast({ WindowOpenedOrChanged: { window: wireWindow(id) } });
    },
    closeWindow(id, focusNext = null, order = {}) {
      if (!windows.has(id)) throw new Error(`fake niri: no window ${id}`);
      if (focusNext !== null && !windows.has(focusNext)) {
        throw new Error(`fake niri: no window ${focusNext}`);
      }
      const workspaceId = workspaceOf(id);
      windows.delete(id);
      const events: unknown[] = [];
      const workspace = workspaces.get(workspaceId)!;
      if (workspace.activeWindowId === id) {
        const next = focusNext !== null && workspaceOf(focusNext) === workspaceId
          ? focusNext
          : null;
        workspace.activeWindowId = next;
        events.push({
          WorkspaceActiveWindowChanged: { workspace_id: workspaceId, active_window_id: next },
        });
      }
      if (focusedId === id) {
        focusedId = focusNext;
        // A new focus comes from niri's per-window loop, before WindowClosed; none comes last.
        const focusFirst = focusNext !== null && !order.closedFirst;
        if (focusFirst) events.push({ WindowFocusChanged: { id: focusNext } });
        events.push({ WindowClosed: { id } });
        if (!focusFirst) events.push({ WindowFocusChanged: { id: focusNext } });
        commitFocusTimestampLater(focusNext);
      } else {
        events.push({ WindowClosed: { id } });
      }
      for (const event of events) broadcast(event);
    },
    sendRaw(line) {
      for (const stream of streams) stream.write(line + "\n");
    },
    dropStreams() {
      for (const stream of streams) stream.destroy();
      streams.clear();
    },
    focusedId: () => focusedId,
    crash: () => stop(false),
    close: () => stop(true),
  };
  return server;
}
