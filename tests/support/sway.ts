import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEBIAN12, type PeerSet } from "./peer_set.ts";
import {
  asUserArgv,
  childPidsOf,
  killTree,
  makeRuntimeDir,
  pidExists,
  pidsWithEnv,
  runAsUser,
  type RunResult,
  TEST_USER,
  userIds,
  waitForExit,
} from "./test_user.ts";
import { waitFor } from "./wait.ts";

/** Options for {@link startSway}. */
export interface SwayOptions {
  /** User sway runs as (sway 1.7 refuses root). Default {@link TEST_USER}. */
  user?: string;
  /** Runtime dir to use (must be 0700 and owned by `user`); default: a fresh one, removed by stop(). */
  runtimeDir?: string;
  /** Extra environment for sway (and so for everything it `exec`s). */
  env?: Record<string, string>;
  /** Extra sway config lines. */
  config?: string;
  /**
   * Bind the IPC socket here instead of `sway-ipc.<uid>.<pid>.sock` (sway honours `$SWAYSOCK`
   * when that path does not exist yet): e.g. a name that carries a dead PID.
   */
  socketPath?: string;
  /** Whose sway (and swaymsg, and session clients) to run; default {@link DEBIAN12}. */
  peers?: PeerSet;
}

/** A running headless sway (compositor-ipc.md §3.1). */
export interface SwayInstance {
  /** sway's PID (the socket name carries it). */
  pid: number;
  /** PID of the `runuser` parent. */
  runuserPid: number;
  /** `$XDG_RUNTIME_DIR/sway-ipc.<uid>.<pid>.sock`. */
  socketPath: string;
  /** sway's `XDG_RUNTIME_DIR`. */
  runtimeDir: string;
  /** The user sway runs as, and its uid. */
  user: string;
  uid: number;
  /** The peer set this sway comes from. */
  peers: PeerSet;
  /** The environment a client of this session sees (XDG_RUNTIME_DIR, SWAYSOCK, WAYLAND_DISPLAY). */
  sessionEnv: Record<string, string>;
  /** Runs `swaymsg -s <socket> ...args` as the user. */
  swaymsg(args: readonly string[]): Promise<RunResult>;
  /** `swaymsg exec <command>`: starts a client inside the session (it inherits sway's env). */
  exec(command: string): Promise<RunResult>;
  /** Runs any command (from the same peer set) as the user with the session environment (plus `env`). */
  runAsUser(argv: readonly string[], env?: Record<string, string>): Promise<RunResult>;
  /** SIGSTOP sway: it keeps accepting connections into its backlog but never answers. */
  hang(): void;
  /** SIGCONT sway and its runuser parent (which stops along with it). */
  resume(): void;
  /** SIGKILL sway: its socket stays behind, stale (ECONNREFUSED). */
  crash(): Promise<void>;
  /** Stops sway and runuser by PID, and removes the runtime dir if this harness created it. */
  stop(): Promise<void>;
}

/**
 * Starts headless sway (WLR_BACKENDS=headless, WLR_RENDERER=pixman) as an unprivileged user
 * and waits for its IPC socket to answer. Pair every call with `stop()` in a finally block.
 *
 * @example
 * ```ts
 * const sway = await startSway();
 * try { await sway.exec("foot -a kitty"); } finally { await sway.stop(); }
 * ```
 */
export async function startSway(options: SwayOptions = {}): Promise<SwayInstance> {
  const user = options.user ?? TEST_USER;
  const peers = options.peers ?? DEBIAN12;
  const { uid } = userIds(user);
  const ownsRuntimeDir = options.runtimeDir === undefined;
  const runtimeDir = options.runtimeDir ?? await makeRuntimeDir(user);
  const configPath = join(runtimeDir, `sway-${Date.now()}.conf`);
  writeFileSync(
    configPath,
    `output HEADLESS-1 resolution 1280x720\nxwayland disable\n${options.config ?? ""}\n`,
    { mode: 0o644 },
  );
  const before = new Set(readdirSync(runtimeDir));
  const argv = asUserArgv(user, ["sway", "-c", configPath], {
    WLR_BACKENDS: "headless",
    WLR_LIBINPUT_NO_DEVICES: "1",
    WLR_RENDERER: "pixman",
    XDG_RUNTIME_DIR: runtimeDir,
    LANG: "C.UTF-8",
    ...(options.socketPath ? { SWAYSOCK: options.socketPath } : {}),
    ...options.env,
  }, peers);
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (chunk) => (log = (log + chunk).slice(-4000)));
  const runuserPid = child.pid!;
  let socketPath: string;
  try {
    socketPath = await waitFor("sway's IPC socket", () => {
      if (child.exitCode !== null) throw new Error(`sway exited ${child.exitCode}: ${log}`);
      if (options.socketPath) {
        return existsSync(options.socketPath) ? options.socketPath : undefined;
      }
      const name = readdirSync(runtimeDir).find((entry) =>
        !before.has(entry) && new RegExp(`^sway-ipc\\.${uid}\\.\\d+\\.sock$`).test(entry)
      );
      return name === undefined ? undefined : join(runtimeDir, name);
    });
  } catch (error) {
    killTree(runuserPid);
    if (ownsRuntimeDir) rmSync(runtimeDir, { recursive: true, force: true });
    throw error;
  }
  const pid = options.socketPath
    ? await waitFor(
      "sway's PID",
      // runuser forks sway; the sid wrapper execs into it (runuserPid is then sway itself).
      () =>
        [runuserPid, ...childPidsOf(runuserPid)].find((candidate) =>
          readComm(candidate) === "sway"
        ),
    )
    : Number(socketPath.match(/\.(\d+)\.sock$/)![1]);
  const wayland =
    readdirSync(runtimeDir).find((entry) => !before.has(entry) && /^wayland-\d+$/.test(entry)) ??
      "wayland-1";
  const sessionEnv = {
    XDG_RUNTIME_DIR: runtimeDir,
    SWAYSOCK: socketPath,
    I3SOCK: socketPath,
    WAYLAND_DISPLAY: wayland,
  };
  const swaymsg = (args: readonly string[]) =>
    runAsUser(user, ["swaymsg", "-s", socketPath, ...args], sessionEnv, {
      timeoutMs: 10_000,
      peers,
    });
  // The socket file appears before sway serves it: wait for a real answer.
  await waitFor(
    "sway to answer get_version",
    async () => (await swaymsg(["-t", "get_version"])).code === 0 ? true : undefined,
  );
  let stopped = false;
  const instance: SwayInstance = {
    pid,
    runuserPid,
    socketPath,
    runtimeDir,
    user,
    uid,
    peers,
    sessionEnv,
    swaymsg,
    exec: (command) => swaymsg(["exec", command]),
    runAsUser: (command, env = {}) =>
      runAsUser(user, command, { ...sessionEnv, ...env }, { timeoutMs: 30_000, peers }),
    hang: () => Deno.kill(pid, "SIGSTOP"),
    resume: () => {
      for (const target of [pid, runuserPid]) {
        try {
          Deno.kill(target, "SIGCONT");
        } catch {
          // gone
        }
      }
    },
    crash: async () => {
      Deno.kill(pid, "SIGKILL");
      await waitForExit(pid);
      instance.resume();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      instance.resume();
      // sway's own tree by PID, then the clients it exec'd (foot, kitty, wtype: they carry its
      // SWAYSOCK): sway double-forks them away from its tree, and a stray wtype lives 10 min.
      killTree(runuserPid);
      for (const client of pidsWithEnv("SWAYSOCK", socketPath)) killTree(client);
      if (pidExists(pid)) await waitForExit(pid).catch(() => {});
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once("exit", () => resolve());
      });
      if (ownsRuntimeDir) rmSync(runtimeDir, { recursive: true, force: true });
      else rmSync(configPath, { force: true });
    },
  };
  return instance;
}

function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}
