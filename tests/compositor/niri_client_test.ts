import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

Deno.test("a niri that never answers times out", async () => {
  const niri = await fakeNiri(() => {});
  try {
    await assert.rejects(niriRequest(niri.path, "Version", { timeoutMs: 50 }), category("timeout"));
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

Deno.test("event stream: a malformed event closes the stream with a protocol error", async () => {
  const niri = await fakeNiri((_line, socket) => socket.write('{"Ok":"Handled"}\n{oops\n'));
  const stream = await openNiriEventStream(niri.path);
  try {
    assert.equal((await stream.closed)?.category, "protocol");
  } finally {
    stream.close();
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
