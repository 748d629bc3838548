import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeKitty, probeReplyKind } from "../../src/kitty/probe.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { waitFor } from "../support/wait.ts";
import { VirtualClock } from "../support/virtual_clock.ts";
import { NEWER_THAN_KITTY, startFakeKitty } from "../fakes/kitty_server.ts";

const DISABLED = {
  ok: false,
  error: "Remote control is disabled. Add allow_remote_control to your kitty.conf",
};

const isCategory = (category: string) => (error: unknown) =>
  error instanceof ConnectionError && error.category === category;

Deno.test("probeKitty sends the unencrypted ls with version 0.99 and closes", async () => {
  const server = await startFakeKitty(() => NEWER_THAN_KITTY);
  try {
    await probeKitty(server.socketPath);
    assert.deepEqual(server.requests, [{ cmd: "ls", version: [0, 99, 0] }]);
    assert.equal(server.closedConnections, 1);
  } finally {
    await server.close();
  }
});

Deno.test("probeKitty reports open mode for the 'newer than this kitty' reply", async () => {
  const server = await startFakeKitty(() => NEWER_THAN_KITTY);
  try {
    const result = await probeKitty(server.socketPath);
    assert.equal(result.mode, "open");
    assert.ok(result.latencyMs >= 0);
  } finally {
    await server.close();
  }
});

Deno.test("probeKitty reports password mode for the 'remote control is disabled' reply", async () => {
  const server = await startFakeKitty(() => DISABLED);
  try {
    assert.equal((await probeKitty(server.socketPath)).mode, "password");
  } finally {
    await server.close();
  }
});

Deno.test("probeKitty: an unexpected reply is a protocol error", async () => {
  const server = await startFakeKitty(() => ({ ok: true, data: "[]" }));
  try {
    await assert.rejects(probeKitty(server.socketPath), isCategory("protocol"));
  } finally {
    await server.close();
  }
});

Deno.test("probeKitty: a silent kitty is a timeout, when the clock says so", async () => {
  let received = 0;
  const server = await startFakeKitty(() => (received++, null));
  const clock = new VirtualClock(0);
  try {
    let settled = false;
    const probe = probeKitty(server.socketPath, { timeoutMs: 50, clock })
      .finally(() => (settled = true));
    probe.catch(() => {});
    await waitFor("kitty to get the probe", () => received === 1 || undefined, 5000, 1);
    await clock.advance(49);
    assert.equal(settled, false, "still waiting 1 ms before the timeout");
    await clock.advance(1);
    assert.equal(settled, true, "given up at the timeout");
    await assert.rejects(probe, /no reply within 50 ms/);
    assert.deepEqual(clock.pending(), []);
  } finally {
    await server.close();
  }
});

Deno.test("probeKitty: a missing socket is not_configured", async () => {
  await assert.rejects(
    probeKitty("/nonexistent/kitty-1.sock", { timeoutMs: 200 }),
    isCategory("not_configured"),
  );
});

Deno.test("probeKitty: a socket file without a listener is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "probe-"));
  const path = join(dir, "stale.sock");
  try {
    const { createServer } = await import("node:net");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, () => resolve()));
    // Closing a node server unlinks its file; recreate it as a plain (stale) socket inode.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    writeFileSync(path, "");
    await assert.rejects(probeKitty(path, { timeoutMs: 200 }), isCategory("refused"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Deno.test("probeReplyKind classifies kitty's error texts", () => {
  assert.equal(probeReplyKind({ ok: true, data: "[]" }), "ok");
  assert.equal(probeReplyKind(NEWER_THAN_KITTY), "newer_than_kitty");
  assert.equal(probeReplyKind(DISABLED), "remote_control_disabled");
  assert.equal(
    probeReplyKind({
      ok: false,
      error:
        "The user rejected this password or it is disallowed by remote_control_password in kitty.conf",
    }),
    "password_rejected",
  );
  assert.equal(probeReplyKind({ ok: false, error: "boom" }), "other");
});
