import { spawn, type SpawnOptions } from "node:child_process";
import { chownSync, mkdtempSync } from "node:fs";
import { chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEBIAN12, type PeerSet } from "./peer_set.ts";
import { waitFor } from "./wait.ts";

/** The unprivileged user scripts/setup.sh creates: sway 1.7 refuses to run as root. */
export const TEST_USER = "tethertest";

/** What a finished command printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** uid and gid of a user, from `id`. */
export function userIds(user: string = TEST_USER): { uid: number; gid: number } {
  const out = new Deno.Command("id", { args: [user] }).outputSync();
  if (!out.success) {
    throw new Error(`user ${user} does not exist; run scripts/setup.sh (creates it)`);
  }
  const text = new TextDecoder().decode(out.stdout);
  return {
    uid: Number(text.match(/uid=(\d+)/)![1]),
    gid: Number(text.match(/gid=(\d+)/)![1]),
  };
}

/** A fresh 0700 directory owned by `user`, usable as its `XDG_RUNTIME_DIR`. */
export async function makeRuntimeDir(user: string = TEST_USER): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "tether-rt-"));
  const { uid, gid } = userIds(user);
  chownSync(dir, uid, gid);
  await chmod(dir, 0o700);
  return dir;
}

/**
 * argv that runs `argv` as `user` with exactly `env` (plus PATH and HOME), from the binaries of
 * `peers` (default the host's Debian 12 set).
 */
export function asUserArgv(
  user: string,
  argv: readonly string[],
  env: Record<string, string>,
  peers: PeerSet = DEBIAN12,
): string[] {
  const base = { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: `/home/${user}`, ...env };
  const assignments = Object.entries(base).map(([key, value]) => `${key}=${value}`);
  if (peers.root === null) {
    return ["runuser", "-u", user, "--", "env", "-i", ...assignments, ...argv];
  }
  return peers.wrap(["env", "-i", ...assignments, ...argv], userIds(user));
}

/**
 * Runs `argv` as `user` to completion (killed after `timeoutMs`, default 30 s), from the
 * binaries of `options.peers` (default Debian 12).
 */
export function runAsUser(
  user: string,
  argv: readonly string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; stdin?: string; peers?: PeerSet } = {},
): Promise<RunResult> {
  return run(asUserArgv(user, argv, env, options.peers), {
    timeoutMs: options.timeoutMs,
    stdin: options.stdin,
  });
}

/** Runs a command to completion, capturing its output; killed (by PID) after the timeout. */
export function run(
  argv: readonly string[],
  options: { timeoutMs?: number; stdin?: string; spawn?: SpawnOptions } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ["pipe", "pipe", "pipe"],
      ...options.spawn,
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk) => (stdout += chunk));
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? "");
  });
}

/** Direct children of a process (from procfs). */
export function childPidsOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`)
      .split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Whether a PID exists. */
export function pidExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * PIDs of the processes whose environment has `name=value` (e.g. `SWAYSOCK=<socket>`: the
 * clients a sway session started, which sway's `exec` double-forks away from sway's own tree).
 */
export function pidsWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const environ = Deno.readTextFileSync(`/proc/${entry.name}/environ`).split("\0");
      if (environ.includes(wanted)) pids.push(Number(entry.name));
    } catch {
      // gone, or not readable
    }
  }
  return pids;
}

/** Sends `signal` to a PID and its descendants by PID (children first); ignores gone ones. */
export function killTree(pid: number, signal: Deno.Signal = "SIGKILL"): void {
  for (const child of childPidsOf(pid)) killTree(child, signal);
  try {
    Deno.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Waits until a PID is gone (reaped or exited), up to `timeoutMs`. */
export function waitForExit(pid: number, timeoutMs = 10_000): Promise<true> {
  return waitFor(`process ${pid} to exit`, () => {
    if (!pidExists(pid)) return true;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return true;
    } catch {
      return true;
    }
    return undefined;
  }, timeoutMs);
}
