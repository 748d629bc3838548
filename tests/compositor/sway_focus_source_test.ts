/**
 * The sway focus source against a minimal fake sway IPC server (real sway runs in
 * tests/e2e/focus_sway_test.ts; it cannot be made to send a malformed event).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FocusTransition } from "../../src/compositor/focus_source.ts";
import {
  encodeMessage,
  EventType,
  I3IpcDecoder,
  MessageType,
} from "../../src/compositor/i3ipc_codec.ts";
import { startSwayFocusSource } from "../../src/compositor/sway_focus_source.ts";
import type { ConnectionError } from "../../src/resilience/errors.ts";

const kitty = (id: number, pid: number, focused = false) => ({
  id,
  type: "con",
  pid,
  app_id: "kitty",
  focused,
  nodes: [],
  floating_nodes: [],
});

/** Answers SUBSCRIBE, GET_TREE (window 1 focused) and GET_VERSION; `send` pushes raw events. */
async function startFakeSway(path: string) {
  const clients = new Set<Socket>();
  const tree = { id: 0, type: "root", nodes: [kitty(1, 4000, true), kitty(2, 4100)] };
  const replies: Record<number, unknown> = {
    [MessageType.SUBSCRIBE]: { success: true },
    [MessageType.GET_TREE]: tree,
    [MessageType.GET_VERSION]: { human_readable: "fake sway" },
  };
  const server = createServer((socket) => {
    clients.add(socket);
    const decoder = new I3IpcDecoder();
    socket.on("data", (chunk) => {
      for (const message of decoder.push(chunk)) {
        socket.write(encodeMessage(message.type, JSON.stringify(replies[message.type] ?? {})));
      }
    });
    socket.on("close", () => clients.delete(socket));
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    connections: () => clients.size,
    send(payload: string) {
      for (const socket of clients) socket.write(encodeMessage(EventType.window, payload));
    },
    close: () => {
      for (const socket of clients) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("sway source: a malformed or unusable event is reported and skipped, focus keeps working", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tether-sway-source-"));
  const path = join(dir, "sway-ipc.sock");
  const sway = await startFakeSway(path);
  const transitions: FocusTransition[] = [];
  const problems: ConnectionError[] = [];
  const source = startSwayFocusSource({
    env: { SWAYSOCK: path, XDG_RUNTIME_DIR: dir },
    onTransition: (transition) => transitions.push(transition),
    onProblem: (problem) => problems.push(problem),
  });
  try {
    await waitFor("initial focus from the tree", () => transitions.length === 1);
    assert.equal(transitions[0]!.focused?.windowId, 1);
    sway.send("{not json");
    sway.send(JSON.stringify({ change: "focus" })); // no container
    await waitFor("two problems", () => problems.length === 2);
    assert.ok(problems.every((problem) => problem.category === "protocol"));
    sway.send(JSON.stringify({ change: "focus", container: kitty(2, 4100, true) }));
    await waitFor("focus after the bad events", () => transitions.length === 2);
    assert.equal(transitions[1]!.focused?.windowId, 2);
    assert.equal(source.supervisor.snapshot().reconnectionCount, 0);
    assert.equal(sway.connections(), 1);
  } finally {
    await source.close();
    await sway.close();
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("sway source: a window opening (change new) is reported through onWindowOpened", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tether-sway-source-"));
  const path = join(dir, "sway-ipc.sock");
  const sway = await startFakeSway(path);
  const transitions: FocusTransition[] = [];
  const opened: unknown[] = [];
  const source = startSwayFocusSource({
    env: { SWAYSOCK: path, XDG_RUNTIME_DIR: dir },
    onTransition: (transition) => transitions.push(transition),
    onWindowOpened: (window) => opened.push(window),
  });
  try {
    await waitFor("initial focus from the tree", () => transitions.length === 1);
    assert.deepEqual(opened, [], "the windows of the initial tree are not 'opened'");
    sway.send(JSON.stringify({ change: "new", container: kitty(3, 4200) }));
    await waitFor("the opened window", () => opened.length === 1);
    assert.deepEqual(opened[0], { windowId: 3, pid: 4200, appId: "kitty" });
    assert.equal(transitions.length, 1, "opening a window does not move focus");
  } finally {
    await source.close();
    await sway.close();
    await rm(dir, { recursive: true, force: true });
  }
});
