/**
 * KittyRegistry against fake kitty sockets (open mode: no password, so no /proc key lookup).
 * Password mode, wrong passwords and real faults are in registry_real_test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBase85 } from "../../src/kitty/base85.ts";
import {
  KittyRegistry,
  type KittyRegistryOptions,
  MAX_GONE_KITTIES_KEPT,
} from "../../src/kitty/registry.ts";
import { NEWER_THAN_KITTY, openModeKitty, startFakeKitty } from "../fakes/kitty_server.ts";
import { constantsPy, createFakeProc, type FakeProc } from "../fakes/proc.ts";
import { sleep } from "../support/wait.ts";

/** One `set-font-size` on kitty's active OS window (no `ls`, no reset). */
const ACTIVE = { allowReset: false };

/** kitty 0.26 in open mode: versions above 0.26 get the "newer" error. */
const oldKitty = openModeKitty(26);

/** kitty >= 0.43 in open mode. */
const newKitty = openModeKitty(48);

const PID = 4242;
const PACKAGE = "/opt/kitty/lib/kitty/kitty";

/** A fake /proc where kitty `PID` runs the installation declaring `version`. */
function procWithKitty(version: [number, number, number], startTicks = 100): FakeProc {
  const proc = createFakeProc();
  proc.setProcess({
    pid: PID,
    startTicks,
    kitty: { packageDir: PACKAGE, constantsPy: constantsPy(version) },
  });
  return proc;
}

const sentVersions = (requests: Record<string, unknown>[]) =>
  requests.filter((request) => request.cmd === "ls").map((request) => request.version);

function registryFor(socketPath: string, options: KittyRegistryOptions = {}) {
  return new KittyRegistry({
    socketPathFor: () => socketPath,
    isAlive: () => true,
    procRoot: "/nonexistent-proc",
    socketTimeoutMs: 100,
    env: { XDG_RUNTIME_DIR: "/run/user/test", HOME: "/home/test" },
    ...options,
  });
}

Deno.test("registry: an open-mode kitty is ready and gets one set-font-size", async () => {
  const server = await startFakeKitty(oldKitty);
  const registry = registryFor(server.socketPath);
  try {
    const result = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(result.status, "success");
    assert.equal(result.attempts, 1);
    assert.equal(result.error, null);
    const sent = server.requests.filter((request) => request.cmd === "set-font-size");
    assert.deepEqual(sent, [{
      cmd: "set-font-size",
      version: [0, 26, 0],
      payload: { size: 3, increment_op: "+", all: false },
    }]);
    assert.equal(registry.snapshot()[0]!.status, "ready");
    assert.equal(registry.snapshot()[0]!.mode, "open");
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: kitty < 0.43 is not pooled and every connection is closed after the burst", async () => {
  const server = await startFakeKitty(oldKitty);
  const registry = registryFor(server.socketPath);
  try {
    await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    await registry.changeOsWindowFontSize(PID, null, -3, ACTIVE);
    await registry.close();
    assert.equal(registry.snapshot()[0]!.pooled, false);
    assert.match(registry.snapshot()[0]!.pooling, /not pooled/);
    assert.equal(server.closedConnections, server.connections);
  } finally {
    await server.close();
  }
});

Deno.test("registry: commands queued together share one connection on old kitty", async () => {
  const server = await startFakeKitty(oldKitty);
  const registry = registryFor(server.socketPath);
  try {
    await registry.check(PID);
    const before = server.connections;
    const results = await Promise.all([
      registry.changeOsWindowFontSize(PID, null, 1, ACTIVE),
      registry.changeOsWindowFontSize(PID, null, 1, ACTIVE),
      registry.changeOsWindowFontSize(PID, null, -2, ACTIVE),
    ]);
    assert.deepEqual(results.map((result) => result.status), ["success", "success", "success"]);
    assert.equal(server.connections - before, 1);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: kitty >= 0.43 is pooled and reuses its connection", async () => {
  const server = await startFakeKitty(newKitty);
  const registry = registryFor(server.socketPath);
  try {
    await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    const before = server.connections;
    await registry.changeOsWindowFontSize(PID, null, -3, ACTIVE);
    await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(server.connections, before);
    const status = registry.snapshot()[0]!;
    assert.equal(status.pooled, true);
    assert.ok(status.counters.reuses >= 2);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: a missing socket is not_configured with the setup hint, nothing retried", async () => {
  const registry = registryFor("/nonexistent/kitty-4242.sock");
  try {
    const result = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(result.status, "not_configured");
    assert.equal(result.attempts, 0);
    assert.match(result.error ?? "", /tether kitty setup/);
    assert.equal(registry.snapshot()[0]!.counters.retries, 0);
  } finally {
    await registry.close();
  }
});

Deno.test("registry: a silent kitty fails with timeout after three probe attempts", async () => {
  const server = await startFakeKitty(() => null);
  const registry = registryFor(server.socketPath);
  try {
    const result = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(result.status, "failed");
    assert.equal(result.category, "timeout");
    assert.equal(server.requests.length, 3);
    assert.equal(result.attempts, 3, "the three probe tries of the first check count");
    const status = registry.snapshot()[0]!;
    assert.equal(status.status, "failed");
    assert.equal(status.counters.retries, 2);
    assert.equal(status.permanent, false);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: attempts count a retry of the first check, then the command's own try", async () => {
  let calls = 0;
  const server = await startFakeKitty((request) => (++calls === 1 ? null : oldKitty(request)));
  const registry = registryFor(server.socketPath);
  try {
    const first = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(first.status, "success");
    assert.equal(first.attempts, 2); // the silent probe, then the try that succeeded
    assert.equal(registry.snapshot()[0]!.counters.retries, 1);
    const second = await registry.changeOsWindowFontSize(PID, null, -3, ACTIVE); // checked already: the command alone
    assert.equal(second.attempts, 1);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: a kitty whose process is gone fails permanently and is not contacted again", async () => {
  const server = await startFakeKitty(oldKitty);
  const registry = registryFor(server.socketPath, { isAlive: () => false });
  try {
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE)).status, "failed");
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE)).status, "failed");
    assert.equal(server.connections, 0);
    assert.equal(registry.snapshot()[0]!.permanent, true);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: only the newest records of gone kitties are kept; live ones always are", async () => {
  const server = await startFakeKitty(oldKitty);
  const livePids = new Set([1, 2]);
  const registry = registryFor(server.socketPath, { isAlive: (pid) => livePids.has(pid) });
  try {
    const pids = [1, 2, ...Array.from({ length: MAX_GONE_KITTIES_KEPT + 10 }, (_, i) => 100 + i)];
    for (const pid of pids) await registry.check(pid);
    const kept = registry.snapshot().map((kitty) => kitty.pid).sort((a, b) => a - b);
    assert.deepEqual(kept, [1, 2, ...pids.slice(-MAX_GONE_KITTIES_KEPT)]);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: an error reply to set-font-size fails without retries", async () => {
  const server = await startFakeKitty((request) =>
    request.cmd === "set-font-size"
      ? { ok: false, error: "boom", tb: "Traceback" }
      : oldKitty(request)
  );
  const registry = registryFor(server.socketPath);
  try {
    const result = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(result.status, "failed");
    assert.equal(result.category, "protocol");
    assert.equal(result.attempts, 1);
    assert.match(result.error ?? "", /boom/);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: a zero change is skipped without contacting kitty", async () => {
  const server = await startFakeKitty(oldKitty);
  const registry = registryFor(server.socketPath);
  try {
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 0, ACTIVE)).status, "skipped");
    assert.equal(server.connections, 0);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: status_changed fires once per transition", async () => {
  const server = await startFakeKitty(oldKitty);
  const registry = registryFor(server.socketPath);
  const events: string[] = [];
  registry.events.on(
    "status_changed",
    (event) => events.push(`${event.previous}->${event.status}`),
  );
  try {
    await registry.changeOsWindowFontSize(PID, null, 1, ACTIVE);
    await registry.changeOsWindowFontSize(PID, null, -1, ACTIVE);
    assert.deepEqual(events, ["unknown->ready"]);
  } finally {
    await registry.close();
    await server.close();
  }
});

Deno.test("registry: the default rendezvous is $XDG_RUNTIME_DIR/kitty/kitty-<pid>.sock", async () => {
  const registry = new KittyRegistry({
    env: { XDG_RUNTIME_DIR: "/run/user/1000", HOME: "/home/u" },
    isAlive: () => true,
  });
  try {
    await registry.check(77);
    assert.equal(
      registry.snapshot()[0]!.socket_path,
      join("/run/user/1000", "kitty", "kitty-77.sock"),
    );
  } finally {
    await registry.close();
  }
});

Deno.test("registry: close stops retrying a silent kitty instead of waiting out every attempt", async () => {
  const server = await startFakeKitty(() => null);
  const registry = registryFor(server.socketPath, { socketTimeoutMs: 200 });
  try {
    const pending = registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    await sleep(50);
    await registry.close();
    const result = await pending;
    assert.equal(result.status, "failed");
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("registry: pooling follows the installed version exactly: 0.42.1 no, 0.42.2 and 0.43.0 yes", async () => {
  const cases: [[number, number, number], boolean][] = [
    [[0, 42, 1], false],
    [[0, 42, 2], true],
    [[0, 43, 0], true],
  ];
  for (const [version, pooled] of cases) {
    // The fake answers like kitty 0.26 ("newer" to 0.43): the reply heuristic would say "no".
    const server = await startFakeKitty(oldKitty);
    const proc = procWithKitty(version);
    const registry = registryFor(server.socketPath, { procRoot: proc.root });
    const label = version.join(".");
    try {
      for (const delta of [3, -3, 3]) {
        assert.equal(
          (await registry.changeOsWindowFontSize(PID, null, delta, ACTIVE)).status,
          "success",
          label,
        );
      }
      const status = registry.snapshot()[0]!;
      assert.equal(status.version, label);
      assert.equal(status.pooled, pooled, label);
      assert.match(
        status.pooling,
        new RegExp(`kitty ${label} \\(from ${PACKAGE}/constants\\.py\\)`),
      );
      // Open mode and a known version: only the liveness probe, no version-check request.
      assert.deepEqual(sentVersions(server.requests), [[0, 99, 0]], label);
      // Pooled: the probe's connection plus one kept for all three commands.
      if (pooled) assert.equal(server.connections, 2, label);
      else assert.equal(server.connections, 4, label);
    } finally {
      await registry.close();
      await server.close();
      proc.cleanup();
    }
  }
});

Deno.test("registry: an unreadable version falls back to kitty's reply to the 0.43 ls", async () => {
  const proc = createFakeProc();
  proc.setProcess({ pid: PID }); // maps no kitty core
  const server = await startFakeKitty(newKitty);
  const registry = registryFor(server.socketPath, { procRoot: proc.root });
  try {
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE)).status, "success");
    assert.deepEqual(sentVersions(server.requests), [[0, 99, 0], [0, 43, 0]]);
    const status = registry.snapshot()[0]!;
    assert.equal(status.version, null);
    assert.equal(status.pooled, true);
    assert.match(status.pooling, /version unreadable: no kitty\/fast_data_types\.so/);
  } finally {
    await registry.close();
    await server.close();
    proc.cleanup();
  }
});

Deno.test("registry: the version is detected once per PID and start time, not after each failure", async () => {
  let silent = false;
  const server = await startFakeKitty((request) => (silent ? null : oldKitty(request)));
  const proc = procWithKitty([0, 42, 1]);
  const registry = registryFor(server.socketPath, { procRoot: proc.root });
  try {
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE)).status, "success");
    silent = true;
    assert.equal(
      (await registry.changeOsWindowFontSize(PID, null, -3, ACTIVE)).category,
      "timeout",
    );
    assert.equal(registry.snapshot()[0]!.status, "failed");
    // The installation changes on disk; the running process is still the old kitty.
    proc.setProcess({
      pid: PID,
      kitty: { packageDir: PACKAGE, constantsPy: constantsPy([0, 43, 0]) },
    });
    silent = false;
    assert.equal((await registry.changeOsWindowFontSize(PID, null, -3, ACTIVE)).status, "success");
    assert.equal(registry.snapshot()[0]!.version, "0.42.1");
    assert.equal(registry.snapshot()[0]!.pooled, false);
    // A new process under the same PID (new start time) is detected afresh.
    proc.setProcess({
      pid: PID,
      startTicks: 500,
      kitty: { packageDir: PACKAGE, constantsPy: constantsPy([0, 43, 0]) },
    });
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE)).status, "success");
    assert.equal(registry.snapshot()[0]!.version, "0.43.0");
    assert.equal(registry.snapshot()[0]!.pooled, true);
  } finally {
    await registry.close();
    await server.close();
    proc.cleanup();
  }
});

/** A password file (mode 0600) in a temp dir. */
function passwordFile(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "rc-password-"));
  const path = join(dir, "rc.password");
  writeFileSync(path, "unit-test-password\n", { mode: 0o600 });
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function x25519PublicKey(): Promise<string> {
  const pair = await crypto.subtle.generateKey({ name: "X25519" }, true, [
    "deriveBits",
  ]) as CryptoKeyPair;
  return "1:" + encodeBase85(new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey)));
}

const DISABLED = {
  ok: false,
  error: "Remote control is disabled. Add allow_remote_control to your kitty.conf",
};

Deno.test("registry: a password-mode kitty whose public key is in no child's environ is not_configured", async () => {
  const secret = passwordFile();
  const proc = createFakeProc();
  proc.setProcess({ pid: PID, children: [{ pid: PID + 1, environ: { SHELL: "/bin/sh" } }] });
  const server = await startFakeKitty(() => DISABLED);
  const registry = registryFor(server.socketPath, {
    procRoot: proc.root,
    passwordFile: secret.path,
  });
  try {
    const result = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(result.status, "not_configured");
    assert.match(result.error ?? "", /KITTY_PUBLIC_KEY.*open a window in it/);
    const status = registry.snapshot()[0]!;
    assert.equal(status.status, "not_configured");
    assert.equal(status.mode, "password");
    assert.equal(server.requests.filter((request) => "encrypted" in request).length, 0);
  } finally {
    await registry.close();
    await server.close();
    proc.cleanup();
    secret.cleanup();
  }
});

Deno.test("registry: a PID that names a new process (start time changed) starts from scratch", async () => {
  const secret = passwordFile();
  const proc = createFakeProc();
  const key = await x25519PublicKey();
  const children = [{ pid: PID + 1, environ: { KITTY_PUBLIC_KEY: key, KITTY_PID: String(PID) } }];
  proc.setProcess({ pid: PID, startTicks: 100, children });
  let encryptedReplies: (object | null)[] = []; // silent: the Allow/Deny prompt
  const server = await startFakeKitty((request) =>
    "encrypted" in request ? encryptedReplies.shift() ?? null : DISABLED
  );
  const events: string[] = [];
  const registry = registryFor(server.socketPath, {
    procRoot: proc.root,
    passwordFile: secret.path,
  });
  registry.events.on(
    "status_changed",
    (event) => events.push(`${event.previous}->${event.status}`),
  );
  try {
    const refused = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(refused.category, "auth");
    assert.equal(registry.snapshot()[0]!.permanent, true);
    const contacts = server.requests.length;
    assert.equal((await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE)).category, "auth");
    assert.equal(server.requests.length, contacts, "a permanent failure is not contacted again");

    // kitty restarted and got the same PID: a new start time.
    proc.setProcess({ pid: PID, startTicks: 900, children });
    encryptedReplies = [NEWER_THAN_KITTY, { ok: true }]; // first contact (not pooled), then set-font-size
    const result = await registry.changeOsWindowFontSize(PID, null, 3, ACTIVE);
    assert.equal(result.status, "success", result.error ?? "");
    const status = registry.snapshot()[0]!;
    assert.equal(status.status, "ready");
    assert.equal(status.permanent, false);
    assert.equal(status.errors.length, 0, "the old process's errors are forgotten");
    assert.deepEqual(events, ["unknown->failed", "unknown->ready"]);
  } finally {
    await registry.close();
    await server.close();
    proc.cleanup();
    secret.cleanup();
  }
});
