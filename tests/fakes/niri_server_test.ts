import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseNiriEvent, parseNiriReply } from "../../src/compositor/niri_codec.ts";
import { INITIAL_NIRI_STATE, reduceNiriEvent } from "../../src/compositor/niri_state.ts";
import { startFakeNiri } from "./niri_server.ts";

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
    while (lines.length < count) await new Promise<void>((resolve) => (wake = resolve));
    return lines.splice(0, count);
  };
}

async function withNiri(
  run: (path: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tether-fake-niri-"));
  try {
    await run(join(dir, "niri.wayland-1.1.sock"), dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
      const events = (await read(6)).map(parseNiriEvent);
      assert.deepEqual(events.map((event) => event.type), [
        "WindowOpenedOrChanged",
        "WindowFocusChanged",
        "WindowFocusChanged",
        "WindowOpenedOrChanged",
        "WindowClosed",
        "WindowFocusChanged",
      ]);
      const focusAfterEach = events.map((event) =>
        (state = reduceNiriEvent(state, event)).focusedId
      );
      assert.deepEqual(focusAfterEach, [8, 7, null, 9, null, 7]);
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
