/**
 * The resilience module over REAL unix sockets: a line server ("ping" -> "pong", "subscribe" ->
 * "ok") in a temp dir is killed while a pooled connection idles and then restarted. Real time,
 * short delays; assertions only use generous timeouts, never wall-clock durations.
 */
import assert from "node:assert/strict";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { toConnectionError } from "../../src/resilience/errors.ts";
import { KeyedPool } from "../../src/resilience/pool.ts";
import { exponentialPolicy } from "../../src/resilience/retry_policy.ts";
import { Supervisor, type SupervisorState } from "../../src/resilience/supervisor.ts";
import { settleWithin, waitFor } from "../support/wait.ts";
import { tempDir } from "../support/temp_dir.ts";

const GENEROUS_MS = 10_000;

/** A line server that can be killed (every client socket destroyed, listener closed). */
class LineServer {
  subscribes = 0;
  #server: Server | null = null;
  #clients = new Set<Socket>();
  constructor(readonly path: string) {}

  async start(): Promise<void> {
    const server = createServer((socket) => {
      this.#clients.add(socket);
      socket.on("close", () => this.#clients.delete(socket));
      socket.on("error", () => {});
      let buffered = "";
      socket.on("data", (chunk) => {
        buffered += chunk.toString();
        let newline;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line === "subscribe") this.subscribes++;
          socket.write(line === "ping" ? "pong\n" : line === "subscribe" ? "ok\n" : "?\n");
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.path, () => resolve());
    });
    this.#server = server;
  }

  async kill(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#clients) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A client connection that notices when the peer goes away. */
interface Client {
  socket: Socket;
  peerGone: boolean;
  closed: Promise<void>;
  lines: string[];
  waiters: ((line: string) => void)[];
}

function connect(path: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const client: Client = {
      socket,
      peerGone: false,
      closed: new Promise((closed) => socket.once("close", () => closed())),
      lines: [],
      waiters: [],
    };
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString();
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const waiter = client.waiters.shift();
        if (waiter) waiter(line);
        else client.lines.push(line);
      }
    });
    socket.on("end", () => client.peerGone = true);
    socket.on("close", () => client.peerGone = true);
    socket.once("error", (error) => {
      client.peerGone = true;
      reject(toConnectionError(error, `test server ${path}`));
    });
    socket.once("connect", () => resolve(client));
  });
}

function request(client: Client, line: string): Promise<string> {
  return settleWithin(
    `reply to ${line}`,
    new Promise<string>((resolve, reject) => {
      client.waiters.push(resolve);
      client.socket.write(`${line}\n`, (error) => error && reject(error));
    }),
    GENEROUS_MS,
  );
}

Deno.test("pool: a server killed while a connection idles is detected; the next acquire reconnects", async () => {
  await using tempDirectory = await tempDir("tether-resilience-");
  const dir = tempDirectory.path;
  const path = join(dir, "server.sock");
  const server = new LineServer(path);
  const pool = new KeyedPool<Client>({
    connector: {
      create: () => connect(path),
      destroy: (client) => void client.socket.destroy(),
      isAlive: (client) => !client.peerGone && !client.socket.destroyed,
    },
    reapIntervalMs: 0,
  });
  try {
    await server.start();
    assert.equal(await pool.use("server", (client) => request(client, "ping")), "pong");
    const idle = await pool.acquire("server");
    const first = idle.connection;
    idle.release();
    assert.equal(pool.stats().reused, 1);

    await server.kill();
    await waitFor("the idle client to see the peer close", () => first.peerGone, GENEROUS_MS, 5);
    await assert.rejects(pool.use("server", (client) => request(client, "ping")), (error) => {
      // The socket file went with the server (ENOENT); a leftover file would say ECONNREFUSED.
      assert.ok(["not_configured", "refused"].includes(toConnectionError(error, "x").category));
      return true;
    });
    assert.equal(pool.stats().discarded, 1, "the dead idle connection was discarded, not used");

    await server.start();
    const lease = await pool.acquire("server");
    assert.notEqual(lease.connection, first);
    assert.equal(lease.reused, false);
    assert.equal(await request(lease.connection, "ping"), "pong");
    lease.release();
    assert.equal(pool.stats().created, 2);
  } finally {
    await pool.close();
    await server.kill();
  }
});

Deno.test("supervisor: reconnects to a restarted server and runs restore again", async () => {
  await using tempDirectory = await tempDir("tether-resilience-");
  const dir = tempDirectory.path;
  const path = join(dir, "server.sock");
  const server = new LineServer(path);
  const states: SupervisorState[] = [];
  const supervisor = new Supervisor<Client>({
    name: "test server",
    connect: async () => {
      const client = await connect(path);
      return { connection: client, closed: client.closed };
    },
    restore: async (client) => assert.equal(await request(client, "subscribe"), "ok"),
    ping: async (client) => assert.equal(await request(client, "ping"), "pong"),
    disconnect: (client) => void client.socket.destroy(),
    // The socket file disappears with the server (ENOENT = not_configured): a daemon waiting
    // for its peer to come back retries that too.
    retryable: () => true,
    policy: exponentialPolicy({ initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 0 }),
    healthIntervalMs: 20,
  });
  supervisor.events.on("status_changed", (event) => states.push(event.to));
  let pings = 0;
  supervisor.events.on("health_update", (event) => event.ok && pings++);
  try {
    await server.start();
    supervisor.start();
    await settleWithin("the first connect", supervisor.waitForConnected(), GENEROUS_MS);
    assert.equal(server.subscribes, 1);
    await waitFor("a health ping", () => pings > 0, GENEROUS_MS, 5);
    assert.ok((supervisor.snapshot().latencyMs ?? -1) >= 0);

    await server.kill();
    await waitFor(
      "the loss to be noticed",
      () => supervisor.state === "reconnecting",
      GENEROUS_MS,
      5,
    );
    await waitFor(
      "a failed reconnect attempt",
      () => supervisor.snapshot().attempt >= 2,
      GENEROUS_MS,
      5,
    );
    assert.ok(["not_configured", "refused"].includes(supervisor.snapshot().lastError!.category));

    await server.start();
    await settleWithin("the reconnect", supervisor.waitForConnected(), GENEROUS_MS);
    assert.equal(server.subscribes, 2, "restore ran after the reconnect");
    assert.equal(supervisor.snapshot().reconnectionCount, 1);
    assert.deepEqual(states.slice(0, 4), ["connecting", "connected", "reconnecting", "connected"]);
  } finally {
    await supervisor.stop();
    await server.kill();
  }
});
