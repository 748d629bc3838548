import { readdirSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Where procfs is mounted; tests pass a directory of fixture files instead. */
export const DEFAULT_PROC_ROOT = "/proc";

/**
 * Whether a process with this PID exists and has not exited. `EPERM` (someone else's process)
 * counts as alive: treating it as dead is exactly the bug that deletes live sockets. A zombie
 * (exited, not yet reaped by its parent) is dead: its sockets and windows are gone already.
 *
 * @example
 * ```ts
 * isProcessAlive(process.pid); // true
 * ```
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(pid);
}

/** Whether /proc says the process has exited and waits to be reaped (state `Z`). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`${DEFAULT_PROC_ROOT}/${pid}/stat`, "latin1");
    // `pid (comm) state …`: comm may hold spaces and parentheses, so read after the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/** The process's `comm` (at most 15 characters, as the kernel truncates it), or null if gone. */
export async function readComm(pid: number, procRoot = DEFAULT_PROC_ROOT): Promise<string | null> {
  const text = await readOrNull(join(procRoot, String(pid), "comm"));
  return text === null ? null : text.replace(/\n$/, "");
}

/** Fields of `/proc/<pid>/stat` after the `(comm)` field; index 0 is field 3 (`state`). */
async function statFieldsAfterComm(pid: number, procRoot: string): Promise<string[] | null> {
  const text = await readOrNull(join(procRoot, String(pid), "stat"));
  if (text === null) return null;
  // comm may contain spaces and parentheses: the last ')' ends it.
  const end = text.lastIndexOf(")");
  return end < 0 ? null : text.slice(end + 2).trim().split(/\s+/);
}

/** The parent PID of a process, or null if it is gone. */
export async function readParentPid(
  pid: number,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<number | null> {
  const fields = await statFieldsAfterComm(pid, procRoot);
  const ppid = fields?.[1];
  return ppid === undefined ? null : Number(ppid);
}

/** Kernel clock ticks per second used by `/proc/<pid>/stat` start times (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * When the process started, in milliseconds since the epoch (`/proc/<pid>/stat` field 22 plus the
 * boot time from `/proc/stat`), or null if it is gone. Used to detect PID reuse: a process that
 * started after a socket was created cannot own it.
 */
export async function readStartTimeMs(
  pid: number,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<number | null> {
  const fields = await statFieldsAfterComm(pid, procRoot);
  const startTicks = fields?.[19];
  if (startTicks === undefined) return null;
  const bootTimeSeconds = await readBootTimeSeconds(procRoot);
  if (bootTimeSeconds === null) return null;
  return bootTimeSeconds * 1000 + (Number(startTicks) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function readBootTimeSeconds(procRoot: string): Promise<number | null> {
  const text = await readOrNull(join(procRoot, "stat"));
  const match = text?.match(/^btime (\d+)$/m);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/**
 * Direct children of a process. Reads `/proc/<pid>/task/<tid>/children` for every thread
 * (kitty forks its shells from a helper thread), falling back to a scan of every process's
 * parent PID when that file is unavailable.
 */
export async function childPids(pid: number, procRoot = DEFAULT_PROC_ROOT): Promise<number[]> {
  const tasks = await readdirOrNull(join(procRoot, String(pid), "task"));
  if (tasks === null) return [];
  const children = new Set<number>();
  let sawChildrenFile = false;
  for (const tid of tasks) {
    const text = await readOrNull(join(procRoot, String(pid), "task", tid, "children"));
    if (text === null) continue;
    sawChildrenFile = true;
    for (const token of text.split(/\s+/)) if (token) children.add(Number(token));
  }
  if (sawChildrenFile) return [...children];
  for (const entry of (await readdirOrNull(procRoot)) ?? []) {
    if (!/^\d+$/.test(entry)) continue;
    if ((await readParentPid(Number(entry), procRoot)) === pid) children.add(Number(entry));
  }
  return [...children];
}

/** A process's environment (`/proc/<pid>/environ`), or null if unreadable or gone. */
export async function readEnviron(
  pid: number,
  procRoot = DEFAULT_PROC_ROOT,
): Promise<Map<string, string> | null> {
  const text = await readOrNull(join(procRoot, String(pid), "environ"));
  if (text === null) return null;
  const environ = new Map<string, string>();
  for (const entry of text.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) environ.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return environ;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

async function readdirOrNull(path: string): Promise<string[] | null> {
  try {
    return await readdir(path);
  } catch {
    return null;
  }
}

/**
 * How many more file descriptors this process may open: the soft `Max open files` limit from
 * `/proc/self/limits` minus the descriptors open now. Null when either cannot be read.
 * Daemons size their connection caps by it, so a flood of clients never drives them into
 * EMFILE (where the runtime's accept loop spins instead of waiting).
 *
 * @example
 * ```ts
 * fileDescriptorHeadroom(); // e.g. 1000 with a limit of 1024 and 24 open
 * ```
 */
export function fileDescriptorHeadroom(procRoot = DEFAULT_PROC_ROOT): number | null {
  try {
    const limits = readFileSync(join(procRoot, "self", "limits"), "utf8");
    const soft = limits.match(/^Max open files\s+(\d+|unlimited)/m)?.[1];
    if (soft === undefined) return null;
    if (soft === "unlimited") return Number.MAX_SAFE_INTEGER;
    return Number(soft) - readdirSync(join(procRoot, "self", "fd")).length;
  } catch {
    return null;
  }
}
