import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { join } from "node:path";
import {
  EVICTABLE_AFTER_MS,
  requestControl,
  serveControlSocket,
} from "../../src/resilience/control_socket.ts";
import { sleep } from "../support/wait.ts";

async function withServer(
  limits: { maxConnections?: number; idleTimeoutMs?: number },
  test: (path: string, calls: () => number) => Promise<void>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tether-control-abuse-"));
  const path = join(dir, "c.sock");
  let calls = 0;
  const server = await serveControlSocket(path, {
    status: () => {
      calls++;
      return { daemon: "test", padding: "x".repeat(1000) };
    },
  }, limits);
  try {
    await test(path, () => calls);
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A well-behaved status: answered, and how long it took. */
async function timedStatus(path: string): Promise<number> {
  const started = performance.now();
  await requestControl(path, "status", { timeoutMs: 1000 });
  return performance.now() - started;
}

const connect = (path: string) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = createConnection(path);
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });

const closed = (socket: Socket) =>
  socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once("close", resolve));

Deno.test("a client pipelining requests without reading replies is not read from, and is dropped when idle", async () => {
  await withServer({ idleTimeoutMs: 400 }, async (path, calls) => {
    const flooder = await connect(path);
    flooder.pause(); // never reads a reply
    flooder.on("error", () => {});
    const request = '{"cmd":"status"}\n';
    const sent = 100_000;
    flooder.write(request.repeat(sent)); // 1.7 MB of requests
    await sleep(200);
    const latencyMs = await timedStatus(path);
    assert.ok(latencyMs < 1000, `status took ${latencyMs} ms during the flood`);
    // Only what fits the kernel's socket buffers was answered: the rest is never read.
    assert.ok(calls() < 2000, `${calls()} of ${sent} requests answered for a client not reading`);
    const answeredBefore = calls();
    await sleep(200);
    assert.ok(calls() - answeredBefore < 50, "no more work while the client does not read");
    await Promise.race([
      closed(flooder),
      new Promise((_, reject) => setTimeout(() => reject(new Error("not dropped")), 3000)),
    ]);
  });
});

Deno.test("past the connection cap the oldest idle client makes room; status is still answered", async () => {
  await withServer({ maxConnections: 8 }, async (path) => {
    // Idle long enough to be displaced (a newcomer cannot displace a client that just came).
    const idle: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const socket = await connect(path);
      socket.on("error", () => {});
      socket.resume(); // reads (and so notices) a "busy" line and the server's close
      idle.push(socket);
    }
    await sleep(EVICTABLE_AFTER_MS + 100);
    const latencyMs = await timedStatus(path);
    assert.ok(latencyMs < 1000, `status took ${latencyMs} ms`);
    await sleep(100);
    const open = idle.filter((socket) => !socket.destroyed && socket.readyState === "open");
    assert.ok(open.length <= 8, `${open.length} idle connections still open (cap 8)`);
    for (const socket of idle) socket.destroy();
  });
});

Deno.test("during a connect/close flood every well-behaved status is answered within 1 s", async () => {
  await withServer({}, async (path) => {
    let stop = false;
    let cycles = 0;
    const flood = (async () => {
      while (!stop) {
        await Promise.all(Array.from({ length: 50 }, async () => {
          try {
            (await connect(path)).destroy();
            cycles++;
          } catch {
            // refused under load: the flood goes on
          }
        }));
      }
    })();
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        latencies.push(await timedStatus(path));
        await sleep(50);
      }
    } finally {
      stop = true;
      await flood;
    }
    assert.ok(cycles > 100, `${cycles} connect/close cycles`);
    assert.ok(Math.max(...latencies) < 1000, `latencies ${latencies.map(Math.round)}`);
  });
});

Deno.test("with few file descriptors left, the cap shrinks: no EMFILE spin, status still answered", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tether-control-emfile-"));
  const path = join(dir, "c.sock");
  const module = new URL("../../src/resilience/control_socket.ts", import.meta.url).href;
  const script = `const { serveControlSocket } = await import(${JSON.stringify(module)});
    await serveControlSocket(${JSON.stringify(path)}, { status: () => "ok" });
    console.log("ready");`;
  const child = new Deno.Command("sh", {
    args: ["-c", `ulimit -n 64 && exec "$0" eval --quiet "$1"`, Deno.execPath(), script],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const sockets: Socket[] = [];
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("ready")) text += (await reader.read()).value ?? "";
    for (let i = 0; i < 150; i++) {
      const socket = await connect(path);
      socket.on("error", () => {});
      socket.resume();
      sockets.push(socket);
      await sleep(2); // a refused one closes meanwhile
    }
    const ticks = () => {
      const fields = Deno.readTextFileSync(`/proc/${child.pid}/stat`).split(") ")[1]!.split(" ");
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = ticks();
    await sleep(1000);
    const used = ticks() - before;
    assert.ok(used < 30, `the server used ${used} ticks of CPU in 1 s with 150 clients at 64 fds`);
    assert.ok((await timedStatus(path)) < 1000);
  } finally {
    for (const socket of sockets) socket.destroy();
    child.kill("SIGKILL");
    await child.status;
    await rm(dir, { recursive: true, force: true });
  }
});

Deno.test("at the cap, fresh connections that sent nothing make room at once (connect/close floods)", async () => {
  await withServer({ maxConnections: 4 }, async (path) => {
    // What a connect/close flood leaves in the slots: connections that never sent a byte,
    // younger than EVICTABLE_AFTER_MS (before, a newcomer was told "busy" until they aged).
    const silent: Socket[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = await connect(path);
      socket.on("error", () => {});
      socket.resume();
      silent.push(socket);
    }
    const latencyMs = await timedStatus(path);
    assert.ok(latencyMs < EVICTABLE_AFTER_MS / 2, `status took ${latencyMs} ms`);
    await sleep(50);
    assert.ok(
      silent[0]!.destroyed || silent[0]!.readyState !== "open",
      "oldest silent one dropped",
    );
    for (const socket of silent) socket.destroy();
  });
});

Deno.test("a well-behaved client retries a 'busy' answer within its timeout; a dead socket still fails fast", async () => {
  await withServer({ maxConnections: 1 }, async (path) => {
    // Holds the only slot: it started a request, so it is too fresh to be displaced.
    const holder = await connect(path);
    holder.on("error", () => {});
    holder.write('{"cmd":');
    await sleep(20); // the server has read it
    setTimeout(() => holder.destroy(), 100);
    const latencyMs = await timedStatus(path);
    assert.ok(latencyMs >= 90 && latencyMs < 1000, `answered after ${latencyMs} ms`);
  });
  const dir = await mkdtemp(join(tmpdir(), "tether-control-dead-"));
  try {
    const path = join(dir, "dead.sock");
    const stale = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); Deno.exit(0)`,
      ],
    }).outputSync();
    assert.ok(stale.success);
    const started = performance.now();
    await assert.rejects(
      requestControl(path, "status", { timeoutMs: 1000 }),
      (error) => error instanceof ConnectionError && error.category === "refused",
    );
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 500, `a dead daemon's socket took ${elapsedMs} ms to refuse`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
