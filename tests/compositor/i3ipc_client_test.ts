import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../support/virtual_clock.ts";
import { I3IpcClient, i3ipcRequestOnce } from "../../src/compositor/i3ipc_client.ts";
import {
  encodeMessage,
  EventType,
  I3IpcDecoder,
  type I3IpcMessage,
  MessageType,
} from "../../src/compositor/i3ipc_codec.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { createStaleSockets } from "../support/stale_sockets.ts";

/** A scripted i3-ipc peer on a temporary unix socket. */
interface FakePeer {
  path: string;
  connections: Socket[];
  close(): Promise<void>;
}

async function fakePeer(
  onMessage: (message: I3IpcMessage, socket: Socket) => void,
): Promise<FakePeer> {
  const dir = mkdtempSync(join(tmpdir(), "tether-i3ipc-"));
  const path = join(dir, "ipc.sock");
  const connections: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections.push(socket);
    const decoder = new I3IpcDecoder();
    socket.on("data", (chunk) => {
      for (const message of decoder.push(chunk)) onMessage(message, socket);
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    connections,
    close: async () => {
      for (const socket of connections) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const reply = (socket: Socket, type: number, payload: string) =>
  socket.write(encodeMessage(type, payload));

function category(expected: string) {
  return (error: unknown) => error instanceof ConnectionError && error.category === expected;
}

Deno.test("request resolves with the reply of the same type", async () => {
  const peer = await fakePeer((message, socket) =>
    reply(socket, message.type, '{"human_readable":"sway 1.7"}')
  );
  const client = await I3IpcClient.connect(peer.path);
  try {
    const version = await client.requestJson<{ human_readable: string }>(MessageType.GET_VERSION);
    assert.equal(version.human_readable, "sway 1.7");
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("replies are matched to requests in order", async () => {
  const peer = await fakePeer((message, socket) =>
    reply(socket, message.type, JSON.stringify(message.payload))
  );
  const client = await I3IpcClient.connect(peer.path);
  try {
    const [a, b] = await Promise.all([
      client.requestJson(MessageType.RUN_COMMAND, "first"),
      client.requestJson(MessageType.RUN_COMMAND, "second"),
    ]);
    assert.deepEqual([a, b], ["first", "second"]);
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("events interleaved with replies go to the iterator, replies to requests", async () => {
  const peer = await fakePeer((message, socket) => {
    if (message.type === MessageType.SUBSCRIBE) {
      reply(socket, EventType.workspace, '{"change":"init"}');
      reply(socket, MessageType.SUBSCRIBE, '{"success":true}');
      reply(socket, EventType.window, '{"change":"focus","container":{"pid":42}}');
    }
  });
  const client = await I3IpcClient.connect(peer.path);
  try {
    await client.subscribe(["window", "workspace"]);
    const iterator = client.events();
    const first = await iterator.next();
    const second = await iterator.next();
    assert.deepEqual(first.value, {
      name: "workspace",
      type: EventType.workspace,
      body: { change: "init" },
    });
    assert.deepEqual(second.value, {
      name: "window",
      type: EventType.window,
      body: { change: "focus", container: { pid: 42 } },
    });
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("onEvent listeners receive events instead of the queue", async () => {
  const peer = await fakePeer((message, socket) => {
    reply(socket, message.type, '{"success":true}');
    reply(socket, EventType.window, '{"change":"close"}');
  });
  const client = await I3IpcClient.connect(peer.path);
  try {
    const seen = new Promise((resolve) => client.onEvent((event) => resolve(event.body)));
    await client.subscribe(["window"]);
    assert.deepEqual(await seen, { change: "close" });
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("subscribe answered with success:false is a protocol error", async () => {
  const peer = await fakePeer((message, socket) =>
    reply(socket, message.type, '{"success":false}')
  );
  const client = await I3IpcClient.connect(peer.path);
  try {
    await assert.rejects(client.subscribe(["window"]), category("protocol"));
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("a peer that never replies times out (on the clock) and the connection is closed", async () => {
  const peer = await fakePeer(() => {});
  const clock = new VirtualClock(0);
  const client = await I3IpcClient.connect(peer.path, { timeoutMs: 50, clock });
  try {
    const request = client.request(MessageType.GET_VERSION);
    request.catch(() => {});
    await clock.advance(49);
    assert.equal(client.isClosed, false, "still waiting 1 ms before the timeout");
    await clock.advance(1);
    assert.equal(client.isClosed, true, "the timeout closes the connection");
    await assert.rejects(request, category("timeout"));
    assert.deepEqual(clock.pending(), []);
    assert.equal((await client.closed)?.category, "timeout");
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("peer EOF ends the event iterator with a closed error", async () => {
  const peer = await fakePeer((message, socket) => {
    reply(socket, message.type, '{"success":true}');
    socket.destroy();
  });
  const client = await I3IpcClient.connect(peer.path);
  try {
    await client.subscribe(["window"]);
    await assert.rejects(client.events().next(), category("closed"));
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("close() ends the event iterator normally and rejects pending requests", async () => {
  const peer = await fakePeer(() => {});
  const client = await I3IpcClient.connect(peer.path);
  try {
    const pending = client.request(MessageType.GET_TREE);
    const next = client.events().next();
    client.close();
    assert.deepEqual(await next, { value: undefined, done: true });
    await assert.rejects(pending, category("closed"));
    assert.equal(await client.closed, null);
  } finally {
    await peer.close();
  }
});

Deno.test("garbage from the peer closes the connection with a protocol error", async () => {
  const peer = await fakePeer((_message, socket) => socket.write("HTTP/1.1 400 Bad Request\r\n"));
  const client = await I3IpcClient.connect(peer.path);
  try {
    await assert.rejects(client.request(MessageType.GET_VERSION), category("protocol"));
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("an event whose payload is not JSON is reported and skipped; the next one arrives", async () => {
  const peer = await fakePeer((message, socket) => {
    reply(socket, message.type, '{"success":true}');
    reply(socket, EventType.window, "{not json");
    reply(socket, EventType.window, "x".repeat(500));
    reply(socket, EventType.window, '{"change":"focus"}');
  });
  const skipped: ConnectionError[] = [];
  const client = await I3IpcClient.connect(peer.path, {
    onSkipped: (error) => skipped.push(error),
  });
  try {
    await client.subscribe(["window"]);
    const next = await client.events().next();
    assert.deepEqual(next.value, {
      name: "window",
      type: EventType.window,
      body: { change: "focus" },
    });
    assert.equal(skipped.length, 2);
    assert.ok(skipped.every((error) => error.category === "protocol"));
    assert.match(skipped[0]!.message, /skipped an event.*not valid JSON.*\{not json/);
    assert.ok(skipped[1]!.message.length < 300, "only an excerpt of the payload is reported");
    assert.equal(client.isClosed, false);
    // The connection still answers requests after the skipped events.
    assert.equal((await client.request(MessageType.GET_VERSION)).type, MessageType.GET_VERSION);
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("an oversized message cannot be resynchronised: the connection closes with protocol", async () => {
  const peer = await fakePeer((message, socket) => {
    reply(socket, message.type, '{"success":true}');
    reply(socket, EventType.window, "y".repeat(2000));
  });
  const client = await I3IpcClient.connect(peer.path, { maxPayloadBytes: 1024 });
  try {
    // The event may arrive in the same read as the reply, failing the subscribe as well.
    const subscribing = client.subscribe(["window"]).catch(() => {});
    assert.equal((await client.closed)?.category, "protocol");
    await subscribing;
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("a reply of another type than the request is a protocol error", async () => {
  const peer = await fakePeer((_message, socket) => reply(socket, MessageType.GET_TREE, "{}"));
  const client = await I3IpcClient.connect(peer.path);
  try {
    await assert.rejects(client.request(MessageType.GET_VERSION), category("protocol"));
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("too many unconsumed events close the connection as busy", async () => {
  const peer = await fakePeer((message, socket) => {
    reply(socket, message.type, '{"success":true}');
    for (let i = 0; i < 5; i++) reply(socket, EventType.window, "{}");
  });
  const client = await I3IpcClient.connect(peer.path, { maxQueuedEvents: 3 });
  try {
    await client.subscribe(["window"]);
    assert.equal((await client.closed)?.category, "busy");
  } finally {
    client.close();
    await peer.close();
  }
});

Deno.test("the client never half-closes: close() destroys the socket", async () => {
  const peer = await fakePeer((message, socket) => reply(socket, message.type, "{}"));
  const calls: string[] = [];
  const client = await I3IpcClient.connect(peer.path, {
    connector: (path) => {
      const socket = createConnection(path);
      const end = socket.end.bind(socket);
      const destroy = socket.destroy.bind(socket);
      socket.end = ((...args: Parameters<Socket["end"]>) => {
        calls.push("end");
        return end(...args);
      }) as Socket["end"];
      socket.destroy = ((error?: Error) => {
        calls.push("destroy");
        return destroy(error);
      }) as Socket["destroy"];
      return socket;
    },
  });
  await client.request(MessageType.GET_VERSION);
  client.close();
  await peer.close();
  assert.deepEqual(calls.filter((call) => call === "end"), []);
  assert.ok(calls.includes("destroy"));
});

Deno.test("a stale socket (listener killed) is refused, a missing one not_configured", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tether-i3ipc-"));
  try {
    await createStaleSockets([join(dir, "stale.sock")]);
    await assert.rejects(I3IpcClient.connect(join(dir, "stale.sock")), category("refused"));
    await assert.rejects(
      I3IpcClient.connect(join(dir, "missing.sock")),
      category("not_configured"),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("i3ipcRequestOnce returns the reply and closes", async () => {
  const peer = await fakePeer((message, socket) => reply(socket, message.type, '{"major":4}'));
  try {
    const message = await i3ipcRequestOnce(peer.path, MessageType.GET_VERSION);
    assert.equal(message.payload, '{"major":4}');
    await new Promise((resolve) => peer.connections[0]!.once("close", resolve));
  } finally {
    await peer.close();
  }
});
