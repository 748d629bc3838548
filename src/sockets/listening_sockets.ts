import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** `__SO_ACCEPTCON` in /proc/net/unix's Flags column: the socket is listening. */
const SO_ACCEPTCON = 0x10000;

/**
 * Paths of the unix sockets some process is listening on, from `/proc/net/unix` (pure parser).
 * Only the bound path is listed (as given to bind(2); abstract names start with `@`).
 *
 * Why cleanup needs this: a hung peer whose listen backlog is full refuses connections with
 * EAGAIN — but the Bun runtime inside the compiled binary reports that as ECONNREFUSED
 * (measured with a SIGSTOPped sway 1.7; Deno reports EAGAIN). "Refused" alone therefore cannot
 * prove a socket dead: one that still has a listener is alive, whatever connect said.
 *
 * @example
 * ```ts
 * parseListeningPaths("Num RefCount Protocol Flags Type St Inode Path\n" +
 *   "0000: 00000002 00000000 00010000 0001 01 4711 /run/user/1000/sway-ipc.1000.812.sock\n");
 * // Set { "/run/user/1000/sway-ipc.1000.812.sock" }
 * ```
 */
export function parseListeningPaths(text: string): Set<string> {
  const paths = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const flags = parseInt(fields[3]!, 16);
    if (!(flags & SO_ACCEPTCON)) continue;
    // The path is everything after the seventh field (it may contain spaces).
    const path = line.trim().replace(/^(\S+\s+){7}/, "");
    if (path) paths.add(path);
  }
  return paths;
}

/**
 * Reads the listening unix socket paths of this network namespace. Returns null when
 * `/proc/net/unix` cannot be read (then cleanup cannot rule out a hung listener and keeps
 * every refused socket).
 */
export async function readListeningPaths(procRoot = "/proc"): Promise<Set<string> | null> {
  try {
    return parseListeningPaths(await readFile(join(procRoot, "net", "unix"), "utf8"));
  } catch {
    return null;
  }
}
