import assert from "node:assert/strict";
import { rm, stat } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { parseNiriEvent, parseNiriReply } from "../../src/compositor/niri_codec.ts";
import { INITIAL_NIRI_STATE, reduceNiriEvent } from "../../src/compositor/niri_state.ts";
import { startFakeNiri } from "./niri_server.ts";
import { tempDir } from "../support/temp_dir.ts";
import { settleWithin } from "../support/wait.ts";

/** Reads lines from a socket as they arrive. */
function lineReader(socket: Socket): (count: number) => Promise<string[]> {
  let buffered = "";
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      lines.push(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
    wake?.();
  });
  return async (count) => {
    await settleWithin(
      `${count} lines from the fake`,
      (async () => {
        while (lines.length < count) await new Promise<void>((resolve) => (wake = resolve));
      })(),
      10_000,
    );
    return lines.splice(0, count);
  };
}

async function withNiri(
  run: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  await using temp = await tempDir("tether-fake-niri-");
  const dir = temp.path;
  await run(join(dir, "niri.wayland-1.1.sock"), dir);
}

const connect = (path: string) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = createConnection(path, () => resolve(socket));
    socket.once("error", reject);
  });

Deno.test("fake niri: requests get niri's reply envelopes", () =>
  withNiri(async (path) => {
    const niri = await startFakeNiri({
      path,
      windows: [{ id: 7, app_id: "kitty", pid: 41230 }],
      focusedId: 7,
    });
    const socket = await connect(path);
    try {
      const read = lineReader(socket);
      socket.write('"Version"\n"FocusedWindow"\n"Bogus"\nnot json\n');
      const [version, focused, bogus, garbage] = (await read(4)).map(parseNiriReply);
      assert.deepEqual(version, { ok: true, value: { Version: "25.11 (fake)" } });
      assert.equal(
        (focused as { value: { FocusedWindow: { id: number } } }).value.FocusedWindow.id,
        7,
      );
      assert.deepEqual(bogus, { ok: false, error: "error parsing request" });
      assert.deepEqual(garbage, { ok: false, error: "error parsing request" });
    } finally {
      socket.destroy();
      await niri.close();
    }
  }));

Deno.test("fake niri: the event stream starts with Handled and the initial burst, then both focus paths", () =>
  withNiri(async (path) => {
    const niri = await startFakeNiri({
      path,
      windows: [{ id: 7, app_id: "kitty", pid: 41230 }],
      focusedId: 7,
    });
    const socket = await connect(path);
    try {
      const read = lineReader(socket);
      socket.write('"EventStream"\n');
      assert.deepEqual(parseNiriReply((await read(1))[0]!), { ok: true, value: "Handled" });
      const burst = (await read(4)).map(parseNiriEvent);
      assert.deepEqual(
        burst.map((event) => event.type === "other" ? event.name : event.type),
        ["WorkspacesChanged", "WindowsChanged", "OverviewOpenedOrClosed", "ConfigLoaded"],
      );
      let state = burst.reduce(reduceNiriEvent, INITIAL_NIRI_STATE);
      assert.equal(state.focusedId, 7);

      niri.openWindow({ id: 8, app_id: "firefox", pid: 41301 }, { focused: true });
      niri.focus(7);
      niri.focus(null);
      niri.openWindow({ id: 9, app_id: "kitty", pid: 5 }, { focused: true });
      niri.closeWindow(9, 7);
      const events = (await read(10)).map(parseNiriEvent);
      const name = (event: (typeof events)[number]) =>
        event.type === "other" ? event.name : event.type;
      assert.deepEqual(events.map(name), [
        "WorkspaceActiveWindowChanged",
        "WindowOpenedOrChanged",
        "WorkspaceActiveWindowChanged",
        "WindowFocusChanged",
        "WindowFocusChanged",
        "WorkspaceActiveWindowChanged",
        "WindowOpenedOrChanged",
        "WorkspaceActiveWindowChanged",
        "WindowFocusChanged", // the new focus comes before WindowClosed, as in niri
        "WindowClosed",
      ]);
      const focusAfterEach = events.map((event) =>
        (state = reduceNiriEvent(state, event)).focusedId
      );
      assert.deepEqual(focusAfterEach, [7, 8, 8, 7, null, null, 9, 9, 7, 7]);
    } finally {
      socket.destroy();
      await niri.close();
    }
  }));

Deno.test("fake niri: workspaces are activated, and an empty one means no focused window", () =>
  withNiri(async (path) => {
    const niri = await startFakeNiri({
      path,
      windows: [
        { id: 1, app_id: "kitty", pid: 10, workspace_id: 1 },
        { id: 2, app_id: "kitty", pid: 20, workspace_id: 2 },
      ],
      workspaceIds: [3],
      focusedId: 1,
    });
    const socket = await connect(path);
    try {
      const read = lineReader(socket);
      socket.write('"EventStream"\n');
      await read(1);
      const [workspacesLine, windowsLine] = await read(4);
      const workspaces = JSON.parse(workspacesLine!).WorkspacesChanged.workspaces;
      assert.deepEqual(
        workspaces.map((w: Record<string, unknown>) => [w.id, w.is_focused, w.active_window_id]),
        [[1, true, 1], [2, false, 2], [3, false, null]],
      );
      let state = reduceNiriEvent(INITIAL_NIRI_STATE, parseNiriEvent(windowsLine!));
      niri.focus(2);
      niri.focusWorkspace(3);
      niri.focusWorkspace(1);
      const lines = await read(6);
      assert.deepEqual(lines.map((line) => JSON.parse(line)), [
        { WorkspaceActivated: { id: 2, focused: true } },
        { WindowFocusChanged: { id: 2 } },
        { WorkspaceActivated: { id: 3, focused: true } },
        { WindowFocusChanged: { id: null } },
        { WorkspaceActivated: { id: 1, focused: true } },
        { WindowFocusChanged: { id: 1 } },
      ]);
      const focus = lines.map((line) =>
        (state = reduceNiriEvent(state, parseNiriEvent(line))).focusedId
      );
      assert.deepEqual(focus, [1, 2, 2, null, null, 1]);
    } finally {
      socket.destroy();
      await niri.close();
    }
  }));

Deno.test("fake niri: a focus timestamp is committed after the debounce; a quick switch away skips it", () =>
  withNiri(async (path) => {
    const niri = await startFakeNiri({
      path,
      windows: [{ id: 7, app_id: "kitty", pid: 10 }, { id: 8, app_id: "foot", pid: 20 }],
      focusedId: 7,
      focusTimestampDebounceMs: 50,
    });
    const socket = await connect(path);
    try {
      const read = lineReader(socket);
      socket.write('"EventStream"\n');
      await read(5);
      niri.focus(8);
      niri.focus(7); // within the debounce: 8 never gets a committed timestamp
      const lines = (await read(5)).map((line) => JSON.parse(line));
      assert.deepEqual(lines.slice(0, 4), [
        { WorkspaceActiveWindowChanged: { workspace_id: 1, active_window_id: 8 } },
        { WindowFocusChanged: { id: 8 } },
        { WorkspaceActiveWindowChanged: { workspace_id: 1, active_window_id: 7 } },
        { WindowFocusChanged: { id: 7 } },
      ]);
      assert.equal(lines[4].WindowFocusTimestampChanged.id, 7);
      assert.deepEqual(Object.keys(lines[4].WindowFocusTimestampChanged.focus_timestamp), [
        "secs",
        "nanos",
      ]);
    } finally {
      socket.destroy();
      await niri.close();
    }
  }));

Deno.test("fake niri: close unlinks the socket, crash leaves it behind", () =>
  withNiri(async (path) => {
    const niri = await startFakeNiri({ path });
    await niri.crash();
    assert.ok((await stat(path)).isSocket());
    await assert.rejects(connect(path), { code: "ECONNREFUSED" });
    await rm(path);
    const again = await startFakeNiri({ path });
    await again.close();
    await assert.rejects(stat(path), { code: "ENOENT" });
  }));
