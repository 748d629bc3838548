import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../support/wait.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
import { niriRequest, niriVersion, openNiriEventStream } from "../../src/compositor/niri_client.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";

/** A scripted niri peer: `onLine` gets each request line and the socket to answer on. */
async function fakeNiri(onLine: (line: string, socket: Socket) => void) {
  const dir = mkdtempSync(join(tmpdir(), "tether-niri-"));
  const path = join(dir, "niri.wayland-1.1234.sock");
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        onLine(line, socket);
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    path,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const category = (expected: string) => (error: unknown) =>
  error instanceof ConnectionError && error.category === expected;

Deno.test('niriVersion sends "Version" and returns the version string', async () => {
  const seen: string[] = [];
  const niri = await fakeNiri((line, socket) => {
    seen.push(line);
    socket.write('{"Ok":{"Version":"25.11 (b35bcae)"}}\n');
  });
  try {
    assert.equal(await niriVersion(niri.path), "25.11 (b35bcae)");
    assert.deepEqual(seen, ['"Version"']);
  } finally {
    await niri.close();
  }
});

Deno.test("an Err reply is returned as ok:false by niriRequest", async () => {
  const niri = await fakeNiri((_line, socket) => socket.write('{"Err":"error parsing request"}\n'));
  try {
    assert.deepEqual(await niriRequest(niri.path, "Casts"), {
      ok: false,
      error: "error parsing request",
    });
    await assert.rejects(niriVersion(niri.path), category("protocol"));
  } finally {
    await niri.close();
  }
});

Deno.test("a niri that never answers times out on the clock", async () => {
  let received = 0;
  const niri = await fakeNiri(() => received++);
  const clock = new VirtualClock(0);
  try {
    let settled = false;
    const request = niriRequest(niri.path, "Version", { timeoutMs: 50, clock })
      .finally(() => (settled = true));
    request.catch(() => {});
    await waitFor("niri to get the request", () => received === 1 || undefined, 5000, 1);
    await clock.advance(49);
    assert.equal(settled, false, "still waiting 1 ms before the timeout");
    await clock.advance(1);
    assert.equal(settled, true, "given up at the timeout");
    await assert.rejects(request, /no reply within 50 ms \(niri hung\?\)/);
    assert.deepEqual(clock.pending(), []);
  } finally {
    await niri.close();
  }
});

Deno.test("a niri that hangs up before answering is closed", async () => {
  const niri = await fakeNiri((_line, socket) => socket.destroy());
  try {
    await assert.rejects(niriRequest(niri.path, "Version"), category("closed"));
  } finally {
    await niri.close();
  }
});

Deno.test("event stream: Handled, then initial state and events, in order", async () => {
  const niri = await fakeNiri((line, socket) => {
    assert.equal(line, '"EventStream"');
    // Reply and first events in one write: nothing may be lost in the hand-over.
    socket.write(
      '{"Ok":"Handled"}\n{"WindowsChanged":{"windows":[{"id":7,"app_id":"kitty","pid":9,"is_focused":true}]}}\n',
    );
    setTimeout(
      () => socket.write('{"ConfigLoaded":{"failed":false}}\n{"WindowFocusChanged":{"id":null}}\n'),
      5,
    );
  });
  const stream = await openNiriEventStream(niri.path);
  try {
    const events = [];
    for await (const event of stream.events()) {
      events.push(event.type);
      if (events.length === 3) break;
    }
    assert.deepEqual(events, ["WindowsChanged", "other", "WindowFocusChanged"]);
  } finally {
    stream.close();
    await niri.close();
  }
});

Deno.test("event stream: niri going away ends the iterator with a closed error", async () => {
  const niri = await fakeNiri((_line, socket) => {
    socket.write('{"Ok":"Handled"}\n');
    setTimeout(() => socket.destroy(), 5);
  });
  const stream = await openNiriEventStream(niri.path);
  try {
    await assert.rejects(stream.events().next(), category("closed"));
  } finally {
    stream.close();
    await niri.close();
  }
});

Deno.test("event stream: a refused EventStream is a protocol error", async () => {
  const niri = await fakeNiri((_line, socket) => socket.write('{"Err":"error parsing request"}\n'));
  try {
    await assert.rejects(openNiriEventStream(niri.path), category("protocol"));
  } finally {
    await niri.close();
  }
});

Deno.test("event stream: bad lines are reported and skipped, an oversized one across reads with bounded memory", async () => {
  const maxLineBytes = 1024;
  let server: Socket | null = null;
  const niri = await fakeNiri((_line, socket) => {
    server = socket;
    socket.write('{"Ok":"Handled"}\n');
  });
  let client: Socket | null = null;
  const skipped: ConnectionError[] = [];
  const stream = await openNiriEventStream(niri.path, {
    maxLineBytes,
    onSkipped: (error) => skipped.push(error),
    connector: (path) => (client = createConnection(path)),
  });
  // Registered after the stream's own listener: sees the buffer after each read is processed.
  const bufferedAfterRead: number[] = [];
  let readDone: (() => void) | null = null;
  (client as unknown as Socket).on("data", () => {
    bufferedAfterRead.push(stream.bufferedBytes);
    readDone?.();
  });
  /** Writes and waits until the client has read it, so every write is a separate read. */
  const send = (text: string) =>
    new Promise<void>((resolve) => {
      readDone = resolve;
      (server as unknown as Socket).write(text);
    });
  try {
    await send("garbage that is not JSON\n");
    await send('{"WindowFocusChanged":{"id":\n'); // truncated JSON
    await send('{"WindowClosed":{"id":"eight"}}\n'); // JSON, but not a usable event
    for (let i = 0; i < 8; i++) await send("x".repeat(1000)); // one 8000-byte line, 8 reads
    const oversizedReads = bufferedAfterRead.slice(3);
    await send('yyy\n{"WindowFocusChanged":{"id":5}}\n');
    assert.deepEqual((await stream.events().next()).value, { type: "WindowFocusChanged", id: 5 });
    assert.equal(skipped.length, 4);
    assert.ok(skipped.every((error) => error.category === "protocol"));
    assert.match(skipped[0]!.message, /skipped an event line.*garbage that is not JSON/);
    assert.match(skipped[3]!.message, /longer than 1024 bytes/);
    assert.ok(skipped[3]!.message.length < 300, "only an excerpt of the line is reported");
    assert.deepEqual(oversizedReads, [1000, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(stream.isClosed, false);
  } finally {
    stream.close();
    await niri.close();
  }
});

Deno.test("event stream: skipped lines are silent by default and the stream keeps going", async () => {
  const niri = await fakeNiri((_line, socket) =>
    socket.write('{"Ok":"Handled"}\n{oops\n{"WindowClosed":{"id":3}}\n')
  );
  const stream = await openNiriEventStream(niri.path);
  try {
    assert.deepEqual((await stream.events().next()).value, { type: "WindowClosed", id: 3 });
  } finally {
    stream.close();
    await niri.close();
  }
});

Deno.test("a reply line over the bound is a protocol error, not a wait", async () => {
  const niri = await fakeNiri((_line, socket) => socket.write("z".repeat(5000)));
  try {
    await assert.rejects(
      niriRequest(niri.path, "Version", { maxLineBytes: 1024, timeoutMs: 10_000 }),
      category("protocol"),
    );
  } finally {
    await niri.close();
  }
});

Deno.test("event stream: onEvent listeners get events; close() resolves closed with null", async () => {
  const niri = await fakeNiri((_line, socket) => {
    socket.write('{"Ok":"Handled"}\n');
    setTimeout(() => socket.write('{"WindowClosed":{"id":3}}\n'), 5);
  });
  const stream = await openNiriEventStream(niri.path);
  try {
    const event = await new Promise((resolve) => stream.onEvent(resolve));
    assert.deepEqual(event, { type: "WindowClosed", id: 3 });
  } finally {
    stream.close();
    assert.equal(await stream.closed, null);
    await niri.close();
  }
});
