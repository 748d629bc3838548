import { execFileSync } from "node:child_process";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parseUnixListeners, type UnixListener } from "./listening_sockets.ts";

/** Which files listening sockets are bound to, across every network namespace tether can see. */
export interface ListenerFiles {
  /**
   * Inode numbers of the files some process listens on. Matched by inode alone: `ss` reports
   * the device in an encoding of its own, and a dead socket sharing an inode number with a live
   * one on another device is merely kept (the safe side).
   */
  alive: Set<number>;
  /**
   * Why some listener could not be matched to a file, or null. While it is set no refused
   * socket can be proven dead: it might be that listener's file.
   */
  doubt: string | null;
}

/** Options for {@link readListenerFiles}. */
export interface ReadListenerFilesOptions {
  /** The device of the runtime dir: a listener whose file lies on another device is no candidate's. */
  runtimeDev: number;
  /** Where procfs is mounted. Default `/proc`. */
  procRoot?: string;
  /**
   * Lists this namespace's listening unix sockets with their files' inodes (`ss -xlenH`,
   * iproute2, which asks the kernel over netlink's UNIX_DIAG_VFS), or null when that fails;
   * tests inject. Then the bound paths are resolved as for other namespaces.
   */
  listOwnNamespace?: () => string | null;
}

/** `ss -xlenH`: this network namespace's listening unix sockets, with `ino:` of their files. */
function listWithSs(): string | null {
  try {
    return execFileSync("ss", ["-xlenH"], {
      encoding: "latin1",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 2000,
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch {
    return null;
  }
}

/**
 * The bound files' inodes from `ss -xlenH` output (pure parser): the last `ino:N dev:` on each
 * line (a path may contain spaces, or even that text: a fake one only keeps more files).
 *
 * @example
 * ```ts
 * parseSsInodes("u_str LISTEN 0 512 /run/user/1000/x.sock 188945 * 0 <-> ino:2162842 dev:0/52 peers:\n");
 * // Set { 2162842 }
 * ```
 */
export function parseSsInodes(text: string): Set<number> {
  const inodes = new Set<number>();
  for (const line of text.split("\n")) {
    const matches = [...line.matchAll(/ ino:(\d+) dev:/g)];
    if (matches.length > 0) inodes.add(Number(matches[matches.length - 1]![1]));
  }
  return inodes;
}

/**
 * Finds the files that listening unix sockets are bound to, by inode, not by path text:
 * `R//x`, `R/./kitty/x`, an alias through a symlinked directory and a relative path all name
 * one file. In tether's own network namespace the kernel says which inode each listener is
 * bound to (`ss -xlenH`, exact even for a file renamed since bind); elsewhere, and when `ss`
 * is missing, `lstat` of the bound path (resolved in the listener's mount namespace and, for a
 * relative path, from its working directory) gives that file's inode.
 *
 * Every network namespace counts: /proc/net/unix lists only the caller's, but a pathname socket
 * is reachable from anywhere, and the compiled binary's runtime reports a hung peer's full
 * backlog (EAGAIN) as ECONNREFUSED, so a hung listener in another namespace (`unshare -n`)
 * looks exactly like a dead socket. Namespaces are told apart by the inode of
 * `/proc/<pid>/net/unix` (readable for any process), and each table is read once.
 *
 * A listener whose bound path no longer leads to a socket (moved or deleted file, vanished
 * working directory) is looked up by its socket inode in the `fd` tables of the processes that
 * can be read, and its path resolved again from each holder. If that fails too and its file
 * could lie on the runtime dir's device, the result carries a `doubt`. Holders that cannot be
 * read belong to other users: a socket file you own was created by bind(2) under your uid, so
 * their listeners are not bound to one of your files (root could chown one; root is trusted).
 * Not covered, in another network namespace only: a live socket's file renamed away AND a
 * different socket put at its bound path.
 */
export function readListenerFiles(options: ReadListenerFilesOptions): ListenerFiles {
  const proc = options.procRoot ?? "/proc";
  const alive = new Set<number>();
  let doubt: string | null = null;
  const namespaces = new Map<number, string[]>();
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((name) => /^\d+$/.test(name));
  } catch (error) {
    return { alive, doubt: `cannot list ${proc}: ${errorCode(error)}` };
  }
  for (const pid of ["self", ...pids]) {
    let key: number;
    try {
      key = statSync(join(proc, pid, "net", "unix")).ino;
    } catch (error) {
      if (errorCode(error) === "ENOENT") continue; // the process exited meanwhile
      doubt ??= `cannot see the network namespace of process ${pid}: ${errorCode(error)}`;
      continue;
    }
    const members = namespaces.get(key);
    if (members) members.push(pid);
    else namespaces.set(key, [pid]);
  }
  const ownTable = (options.listOwnNamespace ?? listWithSs)();
  if (ownTable !== null) {
    for (const inode of parseSsInodes(ownTable)) alive.add(inode);
    const ownKey = namespaceKey(proc, "self");
    if (ownKey !== null) namespaces.delete(ownKey);
  }
  const ownMountNamespace = readLink(join(proc, "self", "ns", "mnt"));
  const resolveFrom = (pid: string, path: string): string | null => {
    if (!isAbsolute(path)) return join(proc, pid, "cwd", path);
    const mountNamespace = readLink(join(proc, pid, "ns", "mnt"));
    if (mountNamespace === null || mountNamespace === ownMountNamespace) return path;
    return join(proc, pid, "root", path);
  };
  const socketKeyAt = (path: string | null): number | null => {
    if (path === null) return null;
    try {
      const stats = lstatSync(path);
      return stats.isSocket() ? stats.ino : null;
    } catch {
      return null;
    }
  };
  let holders: Map<number, string[]> | undefined;
  for (const members of namespaces.values()) {
    const listeners = readTable(proc, members);
    if (listeners === null) {
      doubt ??= `cannot read the unix socket table of process ${members[0]}`;
      continue;
    }
    for (const listener of listeners) {
      const direct = socketKeyAt(resolveFrom(members[0]!, listener.path));
      if (direct !== null) {
        alive.add(direct);
        continue;
      }
      holders ??= readSocketHolders(proc, pids);
      const found = (holders.get(listener.socketInode) ?? [])
        .map((pid) => socketKeyAt(resolveFrom(pid, listener.path)))
        .filter((key) => key !== null);
      for (const key of found) alive.add(key);
      if (found.length > 0 || !holders.has(listener.socketInode)) continue;
      const holder = holders.get(listener.socketInode)![0]!;
      const lookup = resolveFrom(holder, listener.path);
      if (lookup !== null && nearestDevice(lookup) !== options.runtimeDev) continue;
      doubt ??= `a socket listening as "${listener.path}" (process ${holder}) could not be ` +
        "matched to a file; any refused socket might be it";
    }
  }
  return { alive, doubt };
}

/** The inode of `/proc/<pid>/net/unix`: one per network namespace. */
function namespaceKey(proc: string, pid: string): number | null {
  try {
    return statSync(join(proc, pid, "net", "unix")).ino;
  } catch {
    return null;
  }
}

/** The listeners of one namespace, read through the first of its processes still there. */
function readTable(proc: string, members: readonly string[]): UnixListener[] | null {
  for (const pid of members) {
    try {
      return parseUnixListeners(readFileSync(join(proc, pid, "net", "unix"), "utf8"));
    } catch {
      // exited meanwhile: try the next process of that namespace
    }
  }
  return null;
}

/** socket inode -> PIDs holding it, from every `fd` directory that can be read. */
function readSocketHolders(proc: string, pids: readonly string[]): Map<number, string[]> {
  const holders = new Map<number, string[]>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(join(proc, pid, "fd"));
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      const target = readLink(join(proc, pid, "fd", fd));
      const match = target?.match(/^socket:\[(\d+)\]$/);
      if (!match) continue;
      const inode = Number(match[1]);
      const list = holders.get(inode);
      if (list) list.push(pid);
      else holders.set(inode, [pid]);
    }
  }
  return holders;
}

/** The device of `path`'s nearest existing ancestor (rename(2) never crosses devices). */
function nearestDevice(path: string): number | null {
  for (let current = dirname(path);; current = dirname(current)) {
    try {
      return statSync(current).dev;
    } catch {
      if (current === dirname(current)) return null;
    }
  }
}

function readLink(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
