/**
 * The sway focus source against a minimal fake sway IPC server (real sway runs in
 * tests/e2e/focus_sway_test.ts; it cannot be made to send a malformed event).
 */
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import type { FocusSourceOptions, FocusTransition } from "../../src/compositor/focus_source.ts";
import {
  encodeMessage,
  EventType,
  I3IpcDecoder,
  MessageType,
} from "../../src/compositor/i3ipc_codec.ts";
import { startSwayFocusSource } from "../../src/compositor/sway_focus_source.ts";
import type { ConnectionError } from "../../src/resilience/errors.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const kitty = (id: number, pid: number, focused = false) => ({
  id,
  type: "con",
  pid,
  app_id: "kitty",
  focused,
  nodes: [],
  floating_nodes: [],
});

/**
 * Answers SUBSCRIBE, GET_TREE (window 1 focused; `setTree` changes it) and GET_VERSION, and
 * records every request. `beforeTreeReply` lets a test push events between a GET_TREE request
 * and its reply, as sway does when focus moves meanwhile. `send` / `sendWorkspace` push events;
 * `dropClients` ends every connection (a compositor restart).
 */
async function startFakeSway(path: string) {
  const clients = new Set<Socket>();
  let tree: unknown = { id: 0, type: "root", nodes: [kitty(1, 4000, true), kitty(2, 4100)] };
  const requests: { type: number; payload: string }[] = [];
  let beforeTreeReply: ((socket: Socket) => void) | null = null;
  const replies: Record<number, () => unknown> = {
    [MessageType.SUBSCRIBE]: () => ({ success: true }),
    [MessageType.GET_TREE]: () => tree,
    [MessageType.GET_VERSION]: () => ({ human_readable: "fake sway" }),
  };
  const server = createServer((socket) => {
    clients.add(socket);
    const decoder = new I3IpcDecoder();
    socket.on("data", (chunk) => {
      for (const message of decoder.push(chunk)) {
        requests.push({ type: message.type, payload: message.payload });
        if (message.type === MessageType.GET_TREE && beforeTreeReply !== null) {
          beforeTreeReply(socket);
        }
        const reply = replies[message.type]?.() ?? {};
        socket.write(encodeMessage(message.type, JSON.stringify(reply)));
      }
    });
    socket.on("close", () => clients.delete(socket));
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    requests,
    connections: () => clients.size,
    setTree(next: unknown) {
      tree = next;
    },
    onTreeRequest(hook: ((socket: Socket) => void) | null) {
      beforeTreeReply = hook;
    },
    send(payload: string) {
      for (const socket of clients) socket.write(encodeMessage(EventType.window, payload));
    },
    sendWorkspace(payload: unknown) {
      const frame = encodeMessage(EventType.workspace, JSON.stringify(payload));
      for (const socket of clients) socket.write(frame);
    },
    dropClients() {
      for (const socket of clients) socket.destroy();
    },
    close: () => {
      for (const socket of clients) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const FAST_RECONNECT = exponentialPolicy({
  initialDelayMs: 20,
  maxDelayMs: 100,
  jitter: "none",
  maxAttempts: 0,
});

const workspace = (id: number, nodes: unknown[]) => ({
  id,
  type: "workspace",
  name: String(id),
  nodes,
  floating_nodes: [],
});

/**
 * Runs `run` with a fake sway (window 1 focused) and a sway focus source on it (`options` added)
 * that has reported that initial focus; closes both and removes the runtime dir afterwards.
 */
async function withSwaySource(
  options: Omit<FocusSourceOptions, "env" | "onTransition">,
  run: (context: {
    sway: Awaited<ReturnType<typeof startFakeSway>>;
    source: ReturnType<typeof startSwayFocusSource>;
    transitions: FocusTransition[];
  }) => void | Promise<void>,
): Promise<void> {
  await using temp = await tempDir("tether-sway-source-");
  const dir = temp.path;
  const path = join(dir, "sway-ipc.sock");
  const sway = await startFakeSway(path);
  const transitions: FocusTransition[] = [];
  const source = startSwayFocusSource({
    env: { SWAYSOCK: path, XDG_RUNTIME_DIR: dir },
    onTransition: (transition) => transitions.push(transition),
    ...options,
  });
  try {
    await waitFor("initial focus from the tree", () => transitions.length === 1);
    await run({ sway, source, transitions });
  } finally {
    await source.close();
    await sway.close();
  }
}

Deno.test("sway source: a malformed or unusable event is reported and skipped, focus keeps working", () => {
  const problems: ConnectionError[] = [];
  return withSwaySource(
    { onProblem: (problem) => problems.push(problem) },
    async ({ sway, source, transitions }) => {
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
    },
  );
});

Deno.test("sway source: a window opening (change new) is reported through onWindowOpened", () => {
  const opened: unknown[] = [];
  return withSwaySource(
    { onWindowOpened: (window) => opened.push(window) },
    async ({ sway, transitions }) => {
      assert.deepEqual(opened, [], "the windows of the initial tree are not 'opened'");
      sway.send(JSON.stringify({ change: "new", container: kitty(3, 4200) }));
      await waitFor("the opened window", () => opened.length === 1);
      assert.deepEqual(opened[0], { windowId: 3, pid: 4200, appId: "kitty" });
      assert.equal(transitions.length, 1, "opening a window does not move focus");
    },
  );
});

Deno.test('sway source: SUBSCRIBE carries exactly ["window","workspace"], then GET_TREE', () =>
  withSwaySource({}, ({ sway }) => {
    assert.deepEqual(sway.requests.slice(0, 2), [
      { type: MessageType.SUBSCRIBE, payload: '["window","workspace"]' },
      { type: MessageType.GET_TREE, payload: "" },
    ]);
  }));

Deno.test("sway source: focus moving to an empty workspace means nothing is focused", () =>
  withSwaySource({}, async ({ sway, transitions }) => {
    sway.sendWorkspace({
      change: "focus",
      current: workspace(20, []),
      old: workspace(10, [kitty(1, 4000)]),
    });
    await waitFor("nothing focused", () => transitions.length === 2);
    assert.deepEqual(transitions[1], {
      previous: { windowId: 1, pid: 4000, appId: "kitty" },
      focused: null,
    });
    // Back to a workspace with windows: sway follows with the window's focus event.
    sway.sendWorkspace({
      change: "focus",
      current: workspace(10, [kitty(1, 4000, true)]),
      old: workspace(20, []),
    });
    sway.send(JSON.stringify({ change: "focus", container: kitty(1, 4000, true) }));
    await waitFor("focus back on window 1", () => transitions.length === 3);
    assert.equal(transitions[2]!.focused?.windowId, 1);
  }));

Deno.test("sway source: after a reconnect the tree is read again and events during GET_TREE are replayed", () =>
  withSwaySource({ policy: FAST_RECONNECT }, async ({ sway, source, transitions }) => {
    // While tether is away focus moved to window 2; during the next GET_TREE it moves on to 3.
    sway.setTree({ id: 0, type: "root", nodes: [kitty(1, 4000), kitty(2, 4100, true)] });
    sway.onTreeRequest((socket) => {
      const event = { change: "focus", container: kitty(3, 4200, true) };
      socket.write(encodeMessage(EventType.window, JSON.stringify(event)));
    });
    sway.dropClients();
    await waitFor("reconnected", () => source.supervisor.snapshot().reconnectionCount === 1);
    await waitFor("focus after the restore", () => transitions.length === 2);
    // The tree (window 2) is read, then the event that arrived meanwhile (window 3) applies.
    assert.deepEqual(transitions[1], {
      previous: { windowId: 1, pid: 4000, appId: "kitty" },
      focused: { windowId: 3, pid: 4200, appId: "kitty" },
    });
    const subscribes = sway.requests.filter((request) => request.type === MessageType.SUBSCRIBE);
    const trees = sway.requests.filter((request) => request.type === MessageType.GET_TREE);
    assert.equal(subscribes.length, 2, "subscribed again on the new connection");
    assert.equal(trees.length, 2, "the tree is read again");
  }));
