import assert from "node:assert/strict";
import {
  keepReasonAfterProbe,
  keepReasonBeforeProbe,
  keepReasonBeforeUnlink,
  keepReasonListening,
} from "../../src/sockets/cleanup_decision.ts";
import type { ProbeOutcome } from "../../src/sockets/probe.ts";
import type { FileFacts } from "../../src/sockets/file_facts.ts";
import type { SocketEntry } from "../../src/sockets/socket_entry.ts";

const UID = 1000;
const RT = "/run/user/1000";
const SOCKET: FileFacts = {
  type: "socket",
  uid: UID,
  dev: 30,
  ino: 4711,
  mode: 0o755,
  stamp: "1/1/1",
};

function entry(overrides: Partial<SocketEntry> = {}): SocketEntry {
  return {
    kind: "sway",
    protocol: "i3ipc",
    path: `${RT}/sway-ipc.1000.812.sock`,
    ownerPid: 812,
    nameUid: 1000,
    current: false,
    inRuntimeDir: true,
    file: SOCKET,
    ...overrides,
  };
}

const refused: ProbeOutcome = { answered: false, latencyMs: 0.1, category: "refused", error: "x" };
const failed = (category: "timeout" | "busy" | "auth" | "not_configured" | "closed" | "protocol") =>
  ({ answered: false, latencyMs: 1, category, error: category }) as ProbeOutcome;

Deno.test("an own socket in the runtime dir may be probed", () => {
  assert.equal(keepReasonBeforeProbe(entry(), UID, RT), null);
  assert.equal(keepReasonBeforeProbe(entry({ current: true }), UID, RT), null);
});

Deno.test("entries outside the runtime dir are kept, however they are flagged", () => {
  assert.match(keepReasonBeforeProbe(entry({ inRuntimeDir: false }), UID, RT)!, /outside/);
  assert.match(
    keepReasonBeforeProbe(entry({ path: "/tmp/sway-ipc.1000.812.sock" }), UID, RT)!,
    /outside/,
  );
  assert.match(
    keepReasonBeforeProbe(entry({ path: `${RT}/../1001/sway-ipc.1000.1.sock` }), UID, RT)!,
    /outside/,
  );
  assert.match(keepReasonBeforeProbe(entry({ path: `${RT}x/s.sock` }), UID, RT)!, /outside/);
});

Deno.test("a sway name with another uid is kept", () => {
  assert.match(keepReasonBeforeProbe(entry({ nameUid: 1001 }), UID, RT)!, /uid in its name/);
});

Deno.test("symlinks, regular files, directories and other files are kept", () => {
  for (const type of ["symlink", "file", "directory", "other"] as const) {
    const reason = keepReasonBeforeProbe(entry({ file: { ...SOCKET, type } }), UID, RT);
    assert.ok(reason !== null, type);
  }
});

Deno.test("a socket owned by someone else is kept", () => {
  assert.match(keepReasonBeforeProbe(entry({ file: { ...SOCKET, uid: 0 } }), UID, RT)!, /uid 0/);
});

Deno.test("a path that no longer exists is kept (nothing to do)", () => {
  assert.match(keepReasonBeforeProbe(entry({ file: null }), UID, RT)!, /does not exist/);
});

Deno.test("only a refused connection counts as dead", () => {
  assert.equal(keepReasonAfterProbe(refused), null);
  assert.ok(keepReasonAfterProbe({ answered: true, latencyMs: 1, answer: {} }));
  for (
    const category of ["timeout", "busy", "auth", "not_configured", "closed", "protocol"] as const
  ) {
    assert.ok(keepReasonAfterProbe(failed(category)) !== null, category);
  }
});

Deno.test("removal needs the same inode and times, still a socket of ours", () => {
  assert.equal(keepReasonBeforeUnlink(SOCKET, { ...SOCKET }, UID), null);
  assert.match(keepReasonBeforeUnlink(SOCKET, null, UID)!, /vanished/);
  assert.match(keepReasonBeforeUnlink(SOCKET, { ...SOCKET, ino: 4712 }, UID)!, /replaced/);
  assert.match(keepReasonBeforeUnlink(SOCKET, { ...SOCKET, dev: 31 }, UID)!, /replaced/);
  assert.match(
    keepReasonBeforeUnlink(SOCKET, { ...SOCKET, stamp: "1/2/2" }, UID)!,
    /replaced/,
  );
  assert.match(
    keepReasonBeforeUnlink(SOCKET, { ...SOCKET, type: "symlink" }, UID)!,
    /replaced/,
  );
  assert.match(keepReasonBeforeUnlink(SOCKET, { ...SOCKET, uid: 0 }, UID)!, /replaced/);
});

Deno.test("a refused socket whose file (dev + inode) has a listener is hung, not dead", () => {
  assert.equal(keepReasonListening(SOCKET, { alive: new Set([2]), doubt: null }), null);
  assert.match(
    keepReasonListening(SOCKET, { alive: new Set([SOCKET.ino]), doubt: null })!,
    /listens/,
  );
  assert.match(
    keepReasonListening(SOCKET, { alive: new Set<number>(), doubt: "process 7 is odd" })!,
    /cannot rule out a hung listener: process 7 is odd/,
  );
});
