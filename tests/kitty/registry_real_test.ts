/**
 * KittyRegistry against real kitty under Xvfb, once per peer set (Debian 12's 0.26.5, not
 * pooled; sid's current kitty, pooled since 0.42.2): password mode, no remote control, a wrong
 * password (one prompt, never retried), kill -9 and kill -STOP. One Xvfb for the file; every
 * kitty is stopped by PID in a finally block.
 */
import { TETHER_KITTY_COMMANDS } from "../../src/kitty/setup.ts";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type FontChangeResult,
  KittyRegistry,
  type KittyRegistryOptions,
} from "../../src/kitty/registry.ts";
import { type RealKitty, startKitty } from "../support/kitty.ts";
import { startXvfb, type XServer } from "../support/xvfb.ts";
import { forEachPeerSet, type PeerSet } from "../support/peer_set.ts";

/** One `set-font-size` on kitty's active OS window (no `ls`, no reset). */
const ACTIVE = { allowReset: false };

const PASSWORD = "registry-real-password-7Hq2Lx";
const WRONG_PASSWORD = "registry-wrong-password-9Pz4Kd";

/** Everything tether produced in this file: the secret test searches it. */
const produced: string[] = [];

function record(result: FontChangeResult): FontChangeResult {
  produced.push(JSON.stringify(result));
  return result;
}

function passwordFile(password: string, mode = 0o600): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "rc-password-"));
  mkdirSync(join(dir, "kitty"));
  const path = join(dir, "kitty", "rc.password");
  writeFileSync(path, password + "\n");
  chmodSync(path, mode);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function registryFor(kitty: RealKitty, options: KittyRegistryOptions = {}): KittyRegistry {
  const registry = new KittyRegistry({
    env: { XDG_RUNTIME_DIR: kitty.runtimeDir, HOME: "/nonexistent-home" },
    socketTimeoutMs: 1500,
    ...options,
  });
  registry.events.on("status_changed", (event) => produced.push(JSON.stringify(event)));
  return registry;
}

async function withKitty(
  x: XServer,
  peers: PeerSet,
  password: string | null,
  fn: (kitty: RealKitty) => Promise<void>,
): Promise<void> {
  const kitty = await startKitty(x, {
    peers,
    remoteControl: password === null
      ? { mode: "none" }
      : { mode: "password", password, commands: [...TETHER_KITTY_COMMANDS] },
  });
  try {
    await fn(kitty);
  } finally {
    await kitty.stop();
  }
}

forEachPeerSet((set) =>
  Deno.test({
    name: `registry against real kitty ${set.label("kitty")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const version = set.versions().kitty;
      const pooled = set.atLeast("kitty", "0.42.2");
      const x = await startXvfb(set);
      const secret = passwordFile(PASSWORD);
      try {
        await t.step(
          `password mode: ready, version ${version} read from its installation, ${
            pooled ? "pooled" : "not pooled"
          }, the font grows and shrinks back`,
          async () => {
            await withKitty(x, set, PASSWORD, async (kitty) => {
              const registry = registryFor(kitty, { passwordFile: secret.path });
              try {
                const before = await kitty.windowSize();
                const grow = record(
                  await registry.changeOsWindowFontSize(kitty.pid, null, 3, ACTIVE),
                );
                assert.equal(grow.status, "success", grow.error ?? "");
                assert.equal(grow.attempts, 1);
                const grown = await kitty.windowSize();
                assert.ok(grown.columns < before.columns, `${grown.columns} < ${before.columns}`);
                assert.equal(
                  record(await registry.changeOsWindowFontSize(kitty.pid, null, -3, ACTIVE)).status,
                  "success",
                );
                assert.deepEqual(await kitty.windowSize(), before);
                // Coalescing is exact: one +3 gives the geometry of three +1 from the same start.
                for (let step = 0; step < 3; step++) {
                  assert.equal(
                    record(await registry.changeOsWindowFontSize(kitty.pid, null, 1, ACTIVE))
                      .status,
                    "success",
                  );
                }
                assert.deepEqual(await kitty.windowSize(), grown);
                assert.equal(
                  record(await registry.changeOsWindowFontSize(kitty.pid, null, -3, ACTIVE)).status,
                  "success",
                );
                assert.deepEqual(await kitty.windowSize(), before);
                const [status] = registry.snapshot();
                produced.push(JSON.stringify(registry.snapshot()));
                assert.equal(status!.status, "ready");
                assert.equal(status!.mode, "password");
                assert.equal(status!.pooled, pooled);
                assert.equal(status!.version, version);
                assert.ok(
                  status!.pooling.includes(
                    `kitty ${version} (from /usr/lib/kitty/kitty/constants.py) ${
                      pooled ? ">=" : "<"
                    } 0.42.2`,
                  ),
                  status!.pooling,
                );
                assert.notEqual(status!.last_activity_at, null);
              } finally {
                await registry.close();
              }
            });
          },
        );

        await t.step("no remote control: not_configured, naming the missing socket", async () => {
          await withKitty(x, set, null, async (kitty) => {
            const registry = registryFor(kitty, { passwordFile: secret.path });
            try {
              const result = record(
                await registry.changeOsWindowFontSize(kitty.pid, null, 3, ACTIVE),
              );
              assert.equal(result.status, "not_configured");
              assert.match(result.error ?? "", /no remote-control socket.*tether kitty setup/);
            } finally {
              await registry.close();
            }
          });
        });

        await t.step("missing or group-readable password file: not_configured", async () => {
          await withKitty(x, set, PASSWORD, async (kitty) => {
            const missing = registryFor(kitty, { passwordFile: "/nonexistent/rc.password" });
            const loose = passwordFile(PASSWORD, 0o640);
            const unsafe = registryFor(kitty, { passwordFile: loose.path });
            try {
              const noFile = record(
                await missing.changeOsWindowFontSize(kitty.pid, null, 3, ACTIVE),
              );
              assert.equal(noFile.status, "not_configured");
              assert.match(noFile.error ?? "", /tether kitty setup/);
              const looseResult = record(
                await unsafe.changeOsWindowFontSize(kitty.pid, null, 3, ACTIVE),
              );
              assert.equal(looseResult.status, "not_configured");
              assert.match(looseResult.error ?? "", /chmod 600/);
            } finally {
              await missing.close();
              await unsafe.close();
              loose.cleanup();
            }
          });
        });

        await t.step(
          "wrong password: failed(auth) after one silent attempt, one prompt only",
          async () => {
            await withKitty(x, set, PASSWORD, async (kitty) => {
              const wrong = passwordFile(WRONG_PASSWORD);
              const registry = registryFor(kitty, { passwordFile: wrong.path });
              try {
                const windowsBefore = (await kitty.ls()).flatMap((osWindow) =>
                  osWindow.windows
                ).length;
                const first = record(
                  await registry.changeOsWindowFontSize(kitty.pid, null, 3, ACTIVE),
                );
                assert.equal(first.status, "failed");
                assert.equal(first.category, "auth");
                const second = record(
                  await registry.changeOsWindowFontSize(kitty.pid, null, 3, ACTIVE),
                );
                assert.equal(second.status, "failed");
                assert.equal(second.attempts, 0);
                const [status] = registry.snapshot();
                produced.push(JSON.stringify(registry.snapshot()));
                assert.equal(status!.permanent, true);
                assert.equal(status!.counters.retries, 0);
                // kitty's Allow/Deny prompt is an overlay window: exactly one was opened.
                const windowsAfter = (await kitty.ls()).flatMap((osWindow) =>
                  osWindow.windows
                ).length;
                assert.equal(windowsAfter, windowsBefore + 1);
              } finally {
                await registry.close();
                wrong.cleanup();
              }
            });
          },
        );

        await t.step("kill -9 mid-run: failed, permanent, not contacted again", async () => {
          await withKitty(x, set, PASSWORD, async (kitty) => {
            const registry = registryFor(kitty, { passwordFile: secret.path });
            try {
              assert.equal(
                record(await registry.changeOsWindowFontSize(kitty.pid, null, 2, ACTIVE)).status,
                "success",
              );
              kitty.signal("SIGKILL");
              await kitty.exited();
              const result = record(
                await registry.changeOsWindowFontSize(kitty.pid, null, -2, ACTIVE),
              );
              assert.equal(result.status, "failed");
              assert.match(result.error ?? "", /gone/);
              const [status] = registry.snapshot();
              assert.equal(status!.permanent, true);
              const again = record(
                await registry.changeOsWindowFontSize(kitty.pid, null, 2, ACTIVE),
              );
              assert.equal(again.attempts, 0);
            } finally {
              await registry.close();
            }
          });
        });

        await t.step(
          "kill -STOP: times out, retried, failed; another kitty keeps working",
          async () => {
            await withKitty(x, set, PASSWORD, async (stopped) => {
              await withKitty(x, set, PASSWORD, async (healthy) => {
                const registry = registryFor(stopped, {
                  passwordFile: secret.path,
                  socketTimeoutMs: 500,
                  // Both kittys share the runtime dir layout, not the dir: map each PID to its socket.
                  socketPathFor: (pid) =>
                    pid === stopped.pid ? stopped.socketPath : healthy.socketPath,
                });
                try {
                  assert.equal(
                    record(await registry.changeOsWindowFontSize(stopped.pid, null, 1, ACTIVE))
                      .status,
                    "success",
                  );
                  assert.equal(
                    record(await registry.changeOsWindowFontSize(healthy.pid, null, 1, ACTIVE))
                      .status,
                    "success",
                  );
                  stopped.signal("SIGSTOP");
                  try {
                    const [frozen, other] = await Promise.all([
                      registry.changeOsWindowFontSize(stopped.pid, null, -1, ACTIVE),
                      registry.changeOsWindowFontSize(healthy.pid, null, -1, ACTIVE),
                    ]);
                    record(frozen);
                    record(other);
                    assert.equal(frozen.status, "failed");
                    assert.equal(frozen.category, "timeout");
                    assert.equal(frozen.attempts, 3);
                    assert.equal(other.status, "success");
                    const status = registry.snapshot().find((entry) => entry.pid === stopped.pid)!;
                    assert.equal(status.status, "failed");
                    assert.equal(status.permanent, false);
                    assert.equal(status.counters.retries, 2);
                  } finally {
                    stopped.signal("SIGCONT");
                  }
                } finally {
                  await registry.close();
                }
              });
            });
          },
        );

        await t.step("the password appears in no result, status, event or error text", () => {
          assert.ok(produced.length > 10);
          for (const text of produced) {
            assert.ok(!text.includes(PASSWORD), text);
            assert.ok(!text.includes(WRONG_PASSWORD), text);
          }
        });
      } finally {
        secret.cleanup();
        await x.stop();
      }
    },
  })
);
