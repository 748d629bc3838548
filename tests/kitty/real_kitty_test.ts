/**
 * The codec, probe, crypto and client against real kitty under Xvfb, once per peer set (Debian
 * 12's 0.26.5 and sid's current kitty). Where kitty changed, each version's own behaviour is
 * asserted. Every kitty is stopped by PID in a finally block.
 */
import assert from "node:assert/strict";
import { KittyConnection } from "../../src/kitty/client.ts";
import { fontSizeChangeCommand, lsCommand, parseLsData } from "../../src/kitty/codec.ts";
import { encryptCommand, parseKittyPublicKey } from "../../src/kitty/crypto.ts";
import { readRunningKittyVersion } from "../../src/kitty/installed_version.ts";
import {
  decideFromFirstContact,
  firstContactCommand,
  poolingForVersion,
} from "../../src/kitty/pooling.ts";
import { probeKitty } from "../../src/kitty/probe.ts";
import { findKittyPublicKey } from "../../src/kitty/public_key.ts";
import { childPids, readEnviron } from "../../src/platform/proc.ts";
import { ConnectionError } from "../../src/resilience/errors.ts";
import { startKitty } from "../support/kitty.ts";
import { startXvfb } from "../support/xvfb.ts";
import { forEachPeerSet } from "../support/peer_set.ts";
import { run, TEST_USER, userIds } from "../support/test_user.ts";
import type { KittyVersion } from "../../src/kitty/kitty_version.ts";

const PASSWORD = "test-password-Zq8";

/**
 * Connects to kitty's socket as the unprivileged test user (the socket and its directories are
 * opened up for the moment) and sends an unencrypted `ls`: "reply" when kitty answers,
 * "closed" when it closes (or resets) the connection without a word, "silent" after 3 s.
 */
async function sendAsOtherUser(socketPath: string, runtimeDir: string): Promise<string> {
  const modes = [runtimeDir, `${runtimeDir}/kitty`, socketPath].map((path) => ({
    path,
    mode: Deno.statSync(path).mode! & 0o7777,
  }));
  for (const { path } of modes) Deno.chmodSync(path, path === socketPath ? 0o777 : 0o711);
  try {
    const script = [
      "import socket, sys",
      "s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])",
      "try:",
      `  s.sendall(b'\\x1bP@kitty-cmd{"cmd":"ls","version":[0,26,0]}\\x1b\\\\')`,
      "  data = s.recv(65536)",
      "except socket.timeout:\n  print('silent'); sys.exit()",
      "except (ConnectionResetError, BrokenPipeError):\n  data = b''",
      "print('reply' if data else 'closed')",
    ].join("\n");
    const { uid, gid } = userIds(TEST_USER);
    const result = await run([
      "setpriv",
      `--reuid=${uid}`,
      `--regid=${gid}`,
      "--clear-groups",
      "/usr/bin/python3",
      "-c",
      script,
      socketPath,
    ]);
    if (result.code !== 0) throw new Error(`python3 as ${TEST_USER}: ${result.stderr}`);
    return result.stdout.trim();
  } finally {
    for (const { path, mode } of modes) Deno.chmodSync(path, mode);
  }
}

forEachPeerSet((set) =>
  Deno.test({
    name: `real kitty: probe, password crypto, client ${set.label("kitty")}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async (t) => {
      const kittyVersion = set.versions().kitty;
      const version = kittyVersion.split(".").map(Number) as unknown as KittyVersion;
      // kitty >= 0.43 runs the 0.43 ls; the exact version pools from 0.42.2 on (pooling.ts).
      const answersProbe = set.atLeast("kitty", "0.43");
      const pools = set.atLeast("kitty", "0.42.2");
      const x = await startXvfb(set);
      try {
        const kitty = await startKitty(x, {
          peers: set,
          remoteControl: {
            mode: "password",
            password: PASSWORD,
            commands: ["set-font-size", "ls"],
          },
        });
        try {
          await t.step("the public key is in a child's environ, not in kitty's own", async () => {
            const key = await findKittyPublicKey(kitty.pid);
            assert.match(key ?? "", /^1:.{40}$/);
            assert.equal((await readEnviron(kitty.pid))?.get("KITTY_PUBLIC_KEY"), undefined);
          });

          await t.step(
            set.atLeast("kitty", "0.39")
              ? "kitty >= 0.39: its `kitten __atexit__` child has no key and is skipped"
              : "kitty < 0.39: no `kitten __atexit__` child",
            async () => {
              const atexit: number[] = [];
              for (const child of await childPids(kitty.pid)) {
                const cmdline = await Deno.readTextFile(`/proc/${child}/cmdline`).catch(() => "");
                if (cmdline.split("\0").includes("__atexit__")) atexit.push(child);
              }
              assert.equal(atexit.length, set.atLeast("kitty", "0.39") ? 1 : 0);
              for (const pid of atexit) {
                assert.equal((await readEnviron(pid))?.get("KITTY_PUBLIC_KEY"), undefined);
              }
              assert.equal(await findKittyPublicKey(kitty.pid), await kitty.publicKey());
            },
          );

          await t.step(
            set.atLeast("kitty", "0.36.2")
              ? "kitty >= 0.36.2: a connection from another uid is closed with no reply"
              : "kitty < 0.36.2: a connection from another uid is answered",
            async () => {
              const reply = await sendAsOtherUser(kitty.socketPath, kitty.runtimeDir);
              assert.equal(reply, set.atLeast("kitty", "0.36.2") ? "closed" : "reply");
            },
          );

          await t.step(
            "probeKitty gets an immediate answer without a password (no prompt)",
            async () => {
              for (let i = 0; i < 3; i++) {
                const result = await probeKitty(kitty.socketPath, { timeoutMs: 5000 });
                assert.equal(result.mode, "password");
              }
              // A prompt would hold every later request too: the encrypted ls still answers at once.
              assert.equal((await kitty.windowSize()).columns > 0, true);
            },
          );

          await t.step(
            "an encrypted set-font-size is accepted and changes the geometry",
            async () => {
              const before = await kitty.windowSize();
              const key = parseKittyPublicKey(await kitty.publicKey());
              // One connection at a time: on kitty < 0.42.2 an open idle connection starves others.
              const send = async (deltaPt: number) => {
                const connection = await KittyConnection.open(kitty.socketPath);
                try {
                  return await connection.request(
                    await encryptCommand(fontSizeChangeCommand(deltaPt), PASSWORD, key),
                    { timeoutMs: 10_000 },
                  );
                } finally {
                  await connection.close();
                }
              };
              assert.deepEqual(await send(3), { ok: true });
              const grown = await kitty.windowSize();
              assert.ok(grown.columns < before.columns, `${grown.columns} < ${before.columns}`);
              assert.deepEqual(await send(-3), { ok: true });
              assert.deepEqual(await kitty.windowSize(), before);
            },
          );

          await t.step("pipelined commands on one connection are answered in order", async () => {
            const key = parseKittyPublicKey(await kitty.publicKey());
            const connection = await KittyConnection.open(kitty.socketPath);
            try {
              const replies = await Promise.all([
                connection.request(await encryptCommand(lsCommand(), PASSWORD, key), {
                  timeoutMs: 10_000,
                }),
                connection.request(await encryptCommand(fontSizeChangeCommand(2), PASSWORD, key), {
                  timeoutMs: 10_000,
                }),
                connection.request(await encryptCommand(lsCommand(), PASSWORD, key), {
                  timeoutMs: 10_000,
                }),
                connection.request(await encryptCommand(fontSizeChangeCommand(-2), PASSWORD, key), {
                  timeoutMs: 10_000,
                }),
              ]);
              const first = parseLsData(replies[0]!.data)[0]!.windows[0]!;
              const second = parseLsData(replies[2]!.data)[0]!.windows[0]!;
              assert.deepEqual(replies[1], { ok: true });
              assert.deepEqual(replies[3], { ok: true });
              assert.ok(second.columns < first.columns);
            } finally {
              await connection.close();
            }
          });

          await t.step("an unencrypted command with a plaintext password is refused", async () => {
            const connection = await KittyConnection.open(kitty.socketPath);
            try {
              const reply = await connection.request({ ...lsCommand(), password: PASSWORD });
              assert.equal(reply.ok, false);
              assert.match(reply.error ?? "", /disabled/);
            } finally {
              await connection.close();
            }
          });

          await t.step(
            "a command outside the password's allow-list is rejected at once",
            async () => {
              const key = parseKittyPublicKey(await kitty.publicKey());
              const connection = await KittyConnection.open(kitty.socketPath);
              try {
                const reply = await connection.request(
                  await encryptCommand({ cmd: "get-colors", version: [0, 26, 0] }, PASSWORD, key),
                  { timeoutMs: 10_000 },
                );
                assert.equal(reply.ok, false);
                assert.match(reply.error ?? "", /disallowed by remote_control_password/);
              } finally {
                await connection.close();
              }
            },
          );

          await t.step(`its version is read from its installation: ${kittyVersion}`, async () => {
            assert.deepEqual(await readRunningKittyVersion(kitty.pid), {
              version,
              source: "/usr/lib/kitty/kitty/constants.py",
            });
          });

          await t.step(
            `first contact: the 0.43 ls (version unknown) says ${kittyVersion} ` +
              `${answersProbe ? "pools" : "is unsafe to pool"}, ` +
              "the 0.99 ls (version known) proves the password",
            async () => {
              const key = parseKittyPublicKey(await kitty.publicKey());
              for (const versionKnown of [false, true]) {
                const connection = await KittyConnection.open(kitty.socketPath);
                try {
                  const reply = await connection.request(
                    await encryptCommand(firstContactCommand(versionKnown), PASSWORD, key),
                    { timeoutMs: 10_000, silenceMeans: "auth" },
                  );
                  const known = poolingForVersion(version, "constants.py");
                  const decision = decideFromFirstContact(
                    reply,
                    "kitty",
                    versionKnown ? { decision: known } : { unknownBecause: "test" },
                  );
                  assert.equal(decision.pooled, versionKnown ? pools : answersProbe);
                  assert.equal(decision.basis, versionKnown ? "version" : "reply");
                } finally {
                  await connection.close();
                }
              }
            },
          );

          await t.step("a wrong password gets no reply: auth when the caller says so", async () => {
            const key = parseKittyPublicKey(await kitty.publicKey());
            const connection = await KittyConnection.open(kitty.socketPath);
            try {
              await assert.rejects(
                connection.request(await encryptCommand(lsCommand(), "wrong-password", key), {
                  timeoutMs: 1500,
                  silenceMeans: "auth",
                }),
                (error: unknown) =>
                  error instanceof ConnectionError && error.category === "auth" &&
                  !error.recoverable &&
                  !error.message.includes("wrong-password"),
              );
            } finally {
              await connection.close();
            }
          });
        } finally {
          await kitty.stop();
        }

        const open = await startKitty(x, { peers: set, remoteControl: { mode: "socket-only" } });
        try {
          await t.step("probeKitty reports open mode for socket-only", async () => {
            assert.equal((await probeKitty(open.socketPath, { timeoutMs: 5000 })).mode, "open");
          });
          await t.step("the unencrypted first contact works in open mode", async () => {
            const connection = await KittyConnection.open(open.socketPath);
            try {
              const reply = await connection.request(firstContactCommand(false), {
                timeoutMs: 5000,
              });
              const decision = decideFromFirstContact(reply, "kitty", { unknownBecause: "test" });
              assert.equal(decision.pooled, answersProbe);
            } finally {
              await connection.close();
            }
          });
        } finally {
          await open.stop();
        }
      } finally {
        await x.stop();
      }
    },
  })
);
