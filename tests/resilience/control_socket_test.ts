import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlReplyError } from "../../src/resilience/control_protocol.ts";
import { requestControl, serveControlSocket } from "../../src/resilience/control_socket.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
import { sleep } from "../support/wait.ts";

const CONTROL_SOCKET_MODULE = new URL("../../src/resilience/control_socket.ts", import.meta.url)
  .href;

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "tether-control-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

Deno.test("a command's return value comes back as data; the socket is 0600 in a 0700 dir", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "tether", "focus.sock");
    const server = await serveControlSocket(path, {
      status: () => ({ daemon: "focus", uptime_seconds: 3 }),
    });
    try {
      assert.deepEqual(await requestControl(path, "status"), {
        daemon: "focus",
        uptime_seconds: 3,
      });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
      assert.equal((await stat(join(dir, "tether"))).mode & 0o777, 0o700);
    } finally {
      await server.close();
    }
    await assert.rejects(stat(path), { code: "ENOENT" }, "close() removes the socket file");
  }));

Deno.test("arguments reach the handler and handler errors become protocol errors", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    const server = await serveControlSocket(path, {
      echo: (request) => request.value,
      fail: () => {
        throw new Error("not now");
      },
    });
    try {
      assert.equal(await requestControl(path, "echo", { args: { value: 42 } }), 42);
      await assert.rejects(requestControl(path, "fail"), (error: unknown) => {
        assert.ok(error instanceof ConnectionError);
        assert.equal(error.category, "protocol");
        assert.match(error.message, /not now/);
        return true;
      });
      await assert.rejects(requestControl(path, "nope"), /unknown command "nope"/);
    } finally {
      await server.close();
    }
  }));

Deno.test("a handler's ConnectionError comes back with its category, recoverable and message", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    const server = await serveControlSocket(path, {
      pin: () => {
        throw new ConnectionError("not_configured", "nothing to pin");
      },
      full: () => {
        throw new ConnectionError("busy", "queue full", { recoverable: false });
      },
    });
    try {
      await assert.rejects(requestControl(path, "pin"), (error: unknown) => {
        assert.ok(error instanceof ControlReplyError);
        assert.equal(error.category, "not_configured");
        assert.equal(error.recoverable, false);
        assert.equal(error.message, `${path}: nothing to pin`);
        assert.equal(error.reason, "nothing to pin");
        return true;
      });
      // busy but not recoverable: answered once, not polled.
      const started = performance.now();
      await assert.rejects(requestControl(path, "full", { timeoutMs: 1000 }), {
        category: "busy",
        recoverable: false,
      });
      assert.ok(performance.now() - started < 200, "a non-recoverable busy is not retried");
    } finally {
      await server.close();
    }
  }));

Deno.test("a busy recoverable reply (no room for the request) is sent again within the timeout", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    let calls = 0;
    const server = await serveControlSocket(path, {
      status: () => {
        calls++;
        if (calls < 3) throw new ConnectionError("busy", "no room yet");
        return "up";
      },
    });
    try {
      assert.equal(await requestControl(path, "status", { timeoutMs: 1000 }), "up");
      assert.equal(calls, 3);
    } finally {
      await server.close();
    }
  }));

Deno.test("a daemon from before typed errors: its string error reads as protocol, never retried", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "old.sock");
    let connections = 0;
    const old = createServer((socket) => {
      connections++;
      socket.end('{"ok":false,"error":"busy: 256 clients connected"}\n');
    });
    await new Promise<void>((resolve) => old.listen(path, resolve));
    try {
      await assert.rejects(requestControl(path, "status"), (error: unknown) => {
        assert.ok(error instanceof ControlReplyError);
        assert.equal(error.category, "protocol");
        assert.equal(error.recoverable, false);
        assert.equal(error.message, `${path}: busy: 256 clients connected`);
        return true;
      });
      assert.equal(connections, 1);
    } finally {
      old.close();
    }
  }));

Deno.test("a reply that is no control reply is a protocol error", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "odd.sock");
    const odd = createServer((socket) => socket.end('{"ok":"yes"}\n'));
    await new Promise<void>((resolve) => odd.listen(path, resolve));
    try {
      await assert.rejects(requestControl(path, "status"), (error: unknown) => {
        assert.ok(error instanceof ConnectionError && !(error instanceof ControlReplyError));
        assert.equal(error.category, "protocol");
        return true;
      });
    } finally {
      odd.close();
    }
  }));

Deno.test("malformed request lines get an error reply and the connection stays usable", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    const server = await serveControlSocket(path, { status: () => "up" });
    try {
      const replies = await new Promise<string[]>((resolve, reject) => {
        const socket = createConnection(path);
        let text = "";
        socket.setEncoding("utf8");
        socket.on("error", reject);
        socket.on("data", (chunk: string) => {
          text += chunk;
          const lines = text.split("\n").filter(Boolean);
          if (lines.length === 3) {
            socket.destroy();
            resolve(lines);
          }
        });
        socket.write('not json\n[1]\n{"cmd":"status"}\n');
      });
      const refused = (message: string) => ({
        ok: false,
        error: { category: "protocol", message, recoverable: false },
      });
      assert.deepEqual(replies.map((line) => JSON.parse(line)), [
        refused("request is not valid JSON"),
        refused('request must be a JSON object with a string "cmd"'),
        { ok: true, data: "up" },
      ]);
    } finally {
      await server.close();
    }
  }));

Deno.test("a dead daemon's leftover socket is refused, then replaced by a new server", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    // A socket file with no listener, as a SIGKILLed daemon leaves it: bound, never listening.
    const python = new Deno.Command("python3", {
      args: ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path],
    });
    assert.equal((await python.output()).code, 0);
    await assert.rejects(requestControl(path, "status"), { category: "refused" });
    const server = await serveControlSocket(path, { status: () => "new" });
    try {
      assert.equal(await requestControl(path, "status"), "new");
    } finally {
      await server.close();
    }
  }));

Deno.test("a second server on a live socket is refused as busy; a regular file is not replaced", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    const server = await serveControlSocket(path, { status: () => 1 });
    try {
      await assert.rejects(serveControlSocket(path, {}), { category: "busy" });
      assert.equal(await requestControl(path, "status"), 1, "the first server is untouched");
    } finally {
      await server.close();
    }
    const file = join(dir, "file.sock");
    await writeFile(file, "data");
    await assert.rejects(serveControlSocket(file, {}), /is not a socket/);
    assert.equal((await stat(file)).isFile(), true);
  }));

Deno.test("a hung daemon times out on the injected clock; a missing socket is not_configured", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "hung.sock");
    const hung = createServer(() => {});
    await new Promise<void>((resolve) => hung.listen(path, resolve));
    const clock = new VirtualClock();
    try {
      let settled = false;
      const asked = requestControl(path, "status", { timeoutMs: 60_000, clock });
      asked.then(() => (settled = true), () => (settled = true));
      await clock.advance(59_999);
      assert.equal(settled, false, "no timeout before 60 s of clock time");
      await clock.advance(1);
      await assert.rejects(asked, { category: "timeout", message: /no reply within 60000 ms/ });
    } finally {
      hung.close();
    }
    await assert.rejects(requestControl(join(dir, "missing.sock"), "status"), {
      category: "not_configured",
    });
  }));

Deno.test("close() waits for a hung handler's reply at most 1 s of its clock", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    const clock = new VirtualClock();
    let entered!: () => void;
    const handlerEntered = new Promise<void>((resolve) => (entered = resolve));
    const server = await serveControlSocket(path, {
      stuck: () => {
        entered();
        return new Promise(() => {});
      },
    }, { clock });
    const asked = requestControl(path, "stuck", { timeoutMs: 60_000, clock });
    asked.catch(() => {});
    await handlerEntered;
    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await clock.advance(999);
    assert.equal(closed, false, "still draining");
    await clock.advance(1);
    await closing;
    await assert.rejects(asked, { category: "closed" });
  }));

Deno.test("close() lets a reply in progress reach its client before ending the connection", () =>
  withTempDir(async (dir) => {
    const path = join(dir, "c.sock");
    const holder: { server?: { close(): Promise<void> } } = {};
    let closing: Promise<void> | undefined;
    const server = await serveControlSocket(path, {
      stop: async () => {
        closing = holder.server!.close(); // the daemon shuts down while answering
        await sleep(20);
        return "stopping";
      },
    });
    holder.server = server;
    assert.equal(await requestControl(path, "stop"), "stopping");
    await closing;
    await assert.rejects(stat(path), { code: "ENOENT" });
  }));

Deno.test("a control directory open to others, foreign or a symlink is refused, never chmodded", () =>
  withTempDir(async (dir) => {
    const tetherDir = join(dir, "tether");
    await mkdir(tetherDir, { mode: 0o755 });
    await chmod(tetherDir, 0o755);
    await assert.rejects(
      serveControlSocket(join(tetherDir, "focus.sock"), { status: () => 1 }),
      /has mode 0755, must be 0700/,
    );
    assert.equal((await stat(tetherDir)).mode & 0o777, 0o755);
    const victim = join(dir, "victim");
    await mkdir(victim, { mode: 0o755 });
    await chmod(victim, 0o755);
    const planted = join(dir, "planted");
    await symlink(victim, planted);
    await assert.rejects(
      serveControlSocket(join(planted, "focus.sock"), { status: () => 1 }),
      /is a symlink, not a directory/,
    );
    assert.equal((await stat(victim)).mode & 0o777, 0o755, "the symlink's target is untouched");
    await assert.rejects(stat(join(victim, "focus.sock")), { code: "ENOENT" });
  }));

Deno.test("close() with an idle client connected leaves no timer behind", () => {
  // A child process serves, connects a client, closes the server and then just returns: it
  // must exit at once, not after the 1 s drain limit (the shutdown budget is 2 s).
  const script = `
    import { requestControl, serveControlSocket } from ${JSON.stringify(CONTROL_SOCKET_MODULE)};
    import { createConnection } from "node:net";
    const path = ${"`${Deno.makeTempDirSync()}/c.sock`"};
    const server = await serveControlSocket(path, { status: () => 1 });
    await requestControl(path, "status");
    const idle = createConnection(path);
    await new Promise((resolve) => idle.once("connect", resolve));
    idle.on("close", () => {});
    await server.close();
    console.log(performance.now().toFixed(0));
  `;
  const started = performance.now();
  const child = spawnSync(process.execPath, ["eval", "--quiet", script], { encoding: "utf8" });
  const elapsedMs = performance.now() - started;
  assert.equal(child.status, 0, child.stderr);
  const closedAtMs = Number(child.stdout.trim());
  // Process start and exit cost ~100-300 ms of that; a leftover 1 s timer would add >= 1000 ms
  // after close() returned.
  assert.ok(elapsedMs - closedAtMs < 900, `exited ${elapsedMs - closedAtMs} ms after close()`);
});
