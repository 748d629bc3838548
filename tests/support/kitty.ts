/**
 * Real kitty for tests: a private Xvfb display and kitty processes started on it, with the
 * remote-control mode a test needs. Everything started here is killed by PID in `stop()`.
 *
 * ```ts
 * const x = await startXvfb(); // ./xvfb.ts
 * const kitty = await startKitty(x, { remoteControl: { mode: "password", password: "pw" } });
 * try {
 *   const before = await kitty.windowSize();
 * } finally {
 *   await kitty.stop();
 *   await x.stop();
 * }
 * ```
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KittyConnection } from "../../src/kitty/client.ts";
import { type KittyOsWindowInfo, lsCommand, parseLsData } from "../../src/kitty/codec.ts";
import { decodeBase85 } from "../../src/kitty/base85.ts";
import {
  encryptCommand,
  type EncryptedEnvelope,
  parseKittyPublicKey,
} from "../../src/kitty/crypto.ts";
import { findKittyPublicKey } from "../../src/kitty/public_key.ts";
import { childPids, readStartTimeMs } from "../../src/platform/proc.ts";
import type { XServer } from "./xvfb.ts";
import { DEBIAN12, type PeerSet } from "./peer_set.ts";
import { runAsUser } from "./test_user.ts";
import { waitFor } from "./wait.ts";

/** How a test kitty accepts remote control. */
export type RemoteControlSetup =
  | { mode: "password"; password: string; commands?: string[] }
  | { mode: "socket-only" }
  | { mode: "yes" }
  | { mode: "none" };

/** Options for {@link startKitty}. */
export interface StartKittyOptions {
  /** Remote-control mode (default socket-only). Ignored when `configFile` is given. */
  remoteControl?: RemoteControlSetup;
  /** `$XDG_RUNTIME_DIR` for kitty (default: a fresh 0700 temp dir, with `kitty/` inside). */
  runtimeDir?: string;
  /**
   * Use this kitty.conf instead of `--config NONE` + `-o` options and `--listen-on` (for
   * testing generated config: it must carry its own `listen_on`).
   */
  configFile?: string;
  /** Extra environment for kitty. */
  env?: Record<string, string>;
  /** How long to wait for the socket (default 20 s: kitty takes 1-4 s, more under load). */
  startTimeoutMs?: number;
  /** Whose kitty to run (as the caller, root in tests); default {@link DEBIAN12}. */
  peers?: PeerSet;
}

/** A running kitty. */
export interface RealKitty {
  pid: number;
  /** The peer set this kitty comes from. */
  peers: PeerSet;
  /** Its socket (`<runtimeDir>/kitty/kitty-<pid>.sock`); does not exist in mode `none`. */
  socketPath: string;
  /** The `$XDG_RUNTIME_DIR` kitty was started with. */
  runtimeDir: string;
  /** kitty's public key from its shell's environment (`1:<base85>`). */
  publicKey(): Promise<string>;
  /** `ls` over the socket (encrypted with the password in password mode). */
  ls(): Promise<KittyOsWindowInfo[]>;
  /** Geometry of the first window: shrinks as the font grows. */
  windowSize(): Promise<{ columns: number; lines: number }>;
  /** Everything kitty wrote to stdout/stderr so far. */
  output(): string;
  /** Sends a signal to kitty (e.g. `SIGSTOP`, `SIGKILL`). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once kitty has exited and been reaped. */
  exited(): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; removes the temp runtime dir it created. */
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(child.pid!, "SIGCONT"); // a test may have stopped it
    process.kill(child.pid!, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid!, "SIGKILL");
    } catch { /* already gone */ }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Children and grandchildren of a process, with start times (to never kill a reused PID). */
async function descendants(pid: number): Promise<{ pid: number; startTimeMs: number | null }[]> {
  const found: { pid: number; startTimeMs: number | null }[] = [];
  for (const child of await childPids(pid)) {
    found.push({ pid: child, startTimeMs: await readStartTimeMs(child) });
    for (const grandchild of await childPids(child)) {
      found.push({ pid: grandchild, startTimeMs: await readStartTimeMs(grandchild) });
    }
  }
  return found;
}

/** Starts kitty on an Xvfb display and waits until its socket answers (unless mode `none`). */
export async function startKitty(
  x: XServer,
  options: StartKittyOptions = {},
): Promise<RealKitty> {
  const remote = options.remoteControl ?? { mode: "socket-only" };
  const ownsRuntimeDir = options.runtimeDir === undefined;
  const runtimeDir = options.runtimeDir ?? mkdtempSync(join(tmpdir(), "kitty-rt-"));
  // kitty 0.26.5 crashes at startup when the listen_on directory is missing.
  mkdirSync(join(runtimeDir, "kitty"), { recursive: true, mode: 0o700 });
  const args: string[] = [];
  if (options.configFile) {
    args.push("--config", options.configFile);
  } else {
    args.push("--config", "NONE");
    if (remote.mode === "password") {
      args.push("-o", "allow_remote_control=password");
      const commands = (remote.commands ?? []).join(" ");
      args.push("-o", `remote_control_password="${remote.password}" ${commands}`.trimEnd());
    } else if (remote.mode === "none") {
      args.push("-o", "allow_remote_control=no");
    } else {
      args.push("-o", `allow_remote_control=${remote.mode}`);
    }
    if (remote.mode !== "none") {
      args.push("--listen-on", `unix:${runtimeDir}/kitty/kitty-{kitty_pid}.sock`);
    }
  }
  let output = "";
  const argv = (options.peers ?? DEBIAN12).wrap(["kitty", ...args]);
  const child = spawn(argv[0]!, argv.slice(1), {
    env: {
      ...process.env,
      DISPLAY: x.display,
      XDG_RUNTIME_DIR: runtimeDir,
      KITTY_CONFIG_DIRECTORY: join(runtimeDir, "no-config"),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const pid = child.pid!;
  const socketPath = join(runtimeDir, "kitty", `kitty-${pid}.sock`);
  const password = remote.mode === "password" ? remote.password : undefined;

  const startedChildren: { pid: number; startTimeMs: number | null }[] = [];
  const kitty: RealKitty = {
    pid,
    peers: options.peers ?? DEBIAN12,
    socketPath,
    runtimeDir,
    output: () => output,
    signal: (signal) => process.kill(pid, signal),
    exited: () =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once("exit", () => resolve())),
    publicKey: async () => {
      return await waitFor(
        "kitty's shell",
        async () => (await findKittyPublicKey(pid)) ?? undefined,
        10_000,
        50,
      );
    },
    ls: async () => {
      const connection = await KittyConnection.open(socketPath, { connectTimeoutMs: 5000 });
      try {
        const message = password === undefined ? lsCommand() : await encryptCommand(
          lsCommand(),
          password,
          parseKittyPublicKey(await kitty.publicKey()),
        );
        const reply = await connection.request(message, { timeoutMs: 10_000 });
        if (!reply.ok) throw new Error(`kitty ${pid} ls failed: ${reply.error}`);
        return parseLsData(reply.data);
      } finally {
        await connection.close();
      }
    },
    windowSize: async () => {
      const window = (await kitty.ls())[0]?.windows[0];
      if (!window) throw new Error(`kitty ${pid} has no window`);
      return { columns: window.columns, lines: window.lines };
    },
    stop: async () => {
      const children = await descendants(pid);
      await stopChild(child, 5000);
      // SIGKILL of kitty (a fault test) orphans its shell and prewarm zygote: end them too.
      for (const orphan of [...children, ...startedChildren]) {
        if ((await readStartTimeMs(orphan.pid)) !== orphan.startTimeMs) continue;
        try {
          process.kill(orphan.pid, "SIGKILL");
        } catch { /* already gone */ }
      }
      if (ownsRuntimeDir) rmSync(runtimeDir, { recursive: true, force: true });
    },
  };

  try {
    const exited = new Promise<never>((_, reject) =>
      child.once(
        "exit",
        (code, signal) => reject(new Error(`kitty exited early (${code ?? signal}): ${output}`)),
      )
    );
    exited.catch(() => {});
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    if (remote.mode === "none" && !options.configFile) {
      // No socket to wait for: wait for the shell instead (kitty is up once it spawned one).
      await Promise.race([
        exited,
        waitFor("kitty", async () => (await findKittyPublicKey(pid)) !== null, timeoutMs, 50),
      ]);
    } else {
      await Promise.race([
        exited,
        waitFor(socketPath, () => existsSync(socketPath), timeoutMs, 50),
      ]);
      await Promise.race([exited, kitty.publicKey()]);
    }
    startedChildren.push(...await descendants(pid));
  } catch (error) {
    await kitty.stop();
    throw error;
  }
  return kitty;
}

/**
 * kitty's own `kitty @ ls` (from `peers`), run as `user` with the password in `passwordFile`:
 * how a test reads a kitty owned by another user, since kitty >= 0.36.2 closes connections
 * from any other uid (root included) without a reply.
 *
 * @example
 * ```ts
 * const [osWindow] = await lsAsUser(SID, "tethertest", kittyPid, socketPath, passwordFile);
 * ```
 */
export async function lsAsUser(
  peers: PeerSet,
  user: string,
  kittyPid: number,
  socketPath: string,
  passwordFile: string,
): Promise<KittyOsWindowInfo[]> {
  const key = await findKittyPublicKey(kittyPid);
  if (key === null) throw new Error(`kitty ${kittyPid}: no public key in its children`);
  const result = await runAsUser(
    user,
    ["kitty", "@", "--to", `unix:${socketPath}`, "--password-file", passwordFile, "ls"],
    { KITTY_PUBLIC_KEY: key },
    { peers, timeoutMs: 15_000 },
  );
  if (result.code !== 0) {
    throw new Error(`kitty @ ls of kitty ${kittyPid} as ${user}: ${result.stderr.trim()}`);
  }
  return parseLsData(result.stdout);
}

/**
 * What kitty does with an encrypted envelope, for tests: X25519 between kitty's private key and
 * the envelope's public key, SHA-256 as the AES-256-GCM key, then decrypt (ciphertext + tag)
 * with the envelope's IV. Returns the inner JSON text; rejects when it does not authenticate.
 * Written apart from src/kitty/crypto.ts so a mistake there is not mirrored here.
 */
export async function decryptEnvelope(
  envelope: EncryptedEnvelope,
  kittyPrivateKey: CryptoKey,
): Promise<string> {
  const clientPublic = await crypto.subtle.importKey(
    "raw",
    new Uint8Array(decodeBase85(envelope.pubkey)),
    { name: "X25519" },
    false,
    [],
  );
  const shared = await crypto.subtle.deriveBits(
    { name: "X25519", public: clientPublic },
    kittyPrivateKey,
    256,
  );
  const aesKey = await crypto.subtle.importKey(
    "raw",
    await crypto.subtle.digest("SHA-256", shared),
    { name: "AES-GCM" },
    false,
    ["decrypt"],
  );
  const sealed = new Uint8Array([
    ...decodeBase85(envelope.encrypted),
    ...decodeBase85(envelope.tag),
  ]);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: new Uint8Array(decodeBase85(envelope.iv)), tagLength: 128 },
    aesKey,
    sealed,
  );
  return new TextDecoder().decode(plain);
}
