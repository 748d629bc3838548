/** `__SO_ACCEPTCON` in /proc/net/unix's Flags column: the socket is listening. */
const SO_ACCEPTCON = 0x10000;

/** One listening unix socket in a `/proc/<pid>/net/unix` table. */
export interface UnixListener {
  /** The socket's own inode (sockfs), NOT the inode of the file it is bound to. */
  socketInode: number;
  /** The path as given to bind(2): maybe relative, maybe `R//x` or through a symlink. */
  path: string;
}

/**
 * The listening unix sockets bound to a file, from one `/proc/net/unix` table (pure parser).
 * Abstract (`@name`) and unbound sockets are left out: no file in a directory can be theirs.
 *
 * The Inode column is the socket's sockfs inode, not the bound file's (checked: a listener on
 * a tmpfs file with inode 2146536 shows 22322 there), and the Path column is bind(2)'s text,
 * so neither identifies a file by itself; see listener_files.ts for how tether maps them.
 *
 * @example
 * ```ts
 * parseUnixListeners("Num RefCount Protocol Flags Type St Inode Path\n" +
 *   "0000: 00000002 00000000 00010000 0001 01 4711 /run/user/1000/sway-ipc.1000.812.sock\n");
 * // [{ socketInode: 4711, path: "/run/user/1000/sway-ipc.1000.812.sock" }]
 * ```
 */
export function parseUnixListeners(text: string): UnixListener[] {
  const listeners: UnixListener[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const flags = parseInt(fields[3]!, 16);
    if (!(flags & SO_ACCEPTCON)) continue;
    // The path is everything after the seventh field (it may contain spaces).
    const path = line.trim().replace(/^(\S+\s+){7}/, "");
    if (path && !path.startsWith("@")) {
      listeners.push({ socketInode: Number(fields[6]), path });
    }
  }
  return listeners;
}
