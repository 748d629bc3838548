import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  asUserArgv,
  killTree,
  makeRuntimeDir,
  runAsUser,
  type RunResult,
  TEST_USER,
  waitForExit,
} from "./test_user.ts";
import { waitFor } from "./wait.ts";
import { startXvfb } from "./xvfb.ts";
import { DEBIAN12, type PeerSet } from "./peer_set.ts";

/** Options for {@link startI3}. */
export interface I3Options {
  /** User i3 runs as (i3 runs as root too, but cleanup tests need it to own the socket). */
  user?: string;
  /** Runtime dir (0700, owned by `user`); default: a fresh one, removed by stop(). */
  runtimeDir?: string;
  /** An X display to use; default: a fresh Xvfb, stopped by stop(). */
  display?: string;
  /** Whose i3 (and i3-msg, Xvfb and session clients) to run; default {@link DEBIAN12}. */
  peers?: PeerSet;
  /** Extra config lines. */
  config?: string;
}

/** A running i3 under Xvfb (compositor-ipc.md §3.2). */
export interface I3Instance {
  /** i3's PID (the socket name carries it). */
  pid: number;
  /** `$XDG_RUNTIME_DIR/i3/ipc-socket.<pid>`. */
  socketPath: string;
  /** i3's `XDG_RUNTIME_DIR`. */
  runtimeDir: string;
  /** The X display. */
  display: string;
  /** The user i3 runs as. */
  user: string;
  /** The peer set this i3 comes from. */
  peers: PeerSet;
  /** The environment a client of this session sees. */
  sessionEnv: Record<string, string>;
  /** Runs `i3-msg -s <socket> ...args` as the user. */
  i3msg(args: readonly string[]): Promise<RunResult>;
  /** `i3-msg exec <command>`. */
  exec(command: string): Promise<RunResult>;
  /** SIGKILL i3: its socket stays behind, stale. */
  crash(): Promise<void>;
  /** Stops i3 (and Xvfb if the harness started it) by PID; removes an owned runtime dir. */
  stop(): Promise<void>;
}

/**
 * Starts i3 under Xvfb as an unprivileged user and waits for its IPC socket to answer.
 * Pair every call with `stop()` in a finally block.
 */
export async function startI3(options: I3Options = {}): Promise<I3Instance> {
  const user = options.user ?? TEST_USER;
  const peers = options.peers ?? DEBIAN12;
  const ownsRuntimeDir = options.runtimeDir === undefined;
  const runtimeDir = options.runtimeDir ?? await makeRuntimeDir(user);
  const xvfb = options.display === undefined ? await startXvfb(peers) : null;
  const display = options.display ?? xvfb!.display;
  const configPath = join(runtimeDir, `i3-${Date.now()}.conf`);
  // The v4 header matters: without it i3 migrates the config and starts i3bar.
  writeFileSync(
    configPath,
    `# i3 config file (v4)\nfont pango:monospace 8\n${options.config ?? ""}\n`,
    { mode: 0o644 },
  );
  const sessionEnv = { XDG_RUNTIME_DIR: runtimeDir, DISPLAY: display };
  const argv = asUserArgv(user, ["i3", "-c", configPath], sessionEnv, peers);
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (chunk) => (log = (log + chunk).slice(-4000)));
  const i3Dir = join(runtimeDir, "i3");
  const before = new Set(existsSync(i3Dir) ? readdirSync(i3Dir) : []);
  let socketPath: string;
  try {
    socketPath = await waitFor("i3's IPC socket", () => {
      if (child.exitCode !== null) throw new Error(`i3 exited ${child.exitCode}: ${log}`);
      let entries: string[] = [];
      try {
        entries = readdirSync(i3Dir);
      } catch {
        return undefined;
      }
      const name = entries.find((entry) => !before.has(entry) && /^ipc-socket\.\d+$/.test(entry));
      return name === undefined ? undefined : join(i3Dir, name);
    });
  } catch (error) {
    killTree(child.pid!);
    await xvfb?.stop();
    if (ownsRuntimeDir) rmSync(runtimeDir, { recursive: true, force: true });
    throw error;
  }
  const pid = Number(socketPath.match(/\.(\d+)$/)![1]);
  const i3msg = (args: readonly string[]) =>
    runAsUser(user, ["i3-msg", "-s", socketPath, ...args], sessionEnv, {
      timeoutMs: 10_000,
      peers,
    });
  await waitFor(
    "i3 to answer get_version",
    async () => (await i3msg(["-t", "get_version"])).code === 0 ? true : undefined,
  );
  let stopped = false;
  return {
    pid,
    socketPath,
    runtimeDir,
    display,
    user,
    peers,
    sessionEnv: { ...sessionEnv, I3SOCK: socketPath },
    i3msg,
    exec: (command) => i3msg(["exec", command]),
    crash: async () => {
      Deno.kill(pid, "SIGKILL");
      await waitForExit(pid);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      killTree(child.pid!);
      await waitForExit(pid).catch(() => {});
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
      });
      await xvfb?.stop();
      if (ownsRuntimeDir) rmSync(runtimeDir, { recursive: true, force: true });
      else rmSync(configPath, { force: true });
    },
  };
}
