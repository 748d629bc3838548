import { lstatSync } from "node:fs";
import { ConfigError } from "../platform/config_error.ts";

/** What `lstat` (never `stat`: symlinks are not followed) says about a path. */
export interface FileFacts {
  /** File type. */
  type: "socket" | "symlink" | "file" | "directory" | "other";
  /** Owner uid. */
  uid: number;
  /** Device number: with {@link FileFacts.ino}, the identity re-checked right before unlink. */
  dev: number;
  /** Inode number on that device (see {@link FileFacts.stamp} for why it is not enough). */
  ino: number;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /**
   * The file's times (`mtimeMs/birthtimeMs`, as precise as the runtime reports them).
   * ext4 hands a freed inode number to the next new file at once, so dev+ino alone cannot tell
   * a replaced socket from the original; its times can. Not ctime: cleanup's own rename into
   * quarantine changes it, and the moved file must still compare equal.
   */
  stamp: string;
}

/**
 * lstat facts for a path, or null when it does not exist. Other errors (EACCES on a parent)
 * are a {@link ConfigError}: tether cannot judge what it cannot see.
 *
 * @example
 * ```ts
 * readFileFacts("/run/user/1000/sway-ipc.1000.812.sock")?.type; // "socket"
 * ```
 */
export function readFileFacts(path: string): FileFacts | null {
  try {
    // Synchronous on purpose: an lstat takes microseconds, and cleanup does 20,000 of them for
    // 10,000 leftovers; a thread-pool round trip each costs more than the call.
    const stats = lstatSync(path);
    return {
      type: stats.isSocket()
        ? "socket"
        : stats.isSymbolicLink()
        ? "symlink"
        : stats.isFile()
        ? "file"
        : stats.isDirectory()
        ? "directory"
        : "other",
      uid: stats.uid,
      dev: stats.dev,
      ino: stats.ino,
      mode: stats.mode & 0o7777,
      stamp: `${stats.mtimeMs}/${stats.birthtimeMs}`,
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new ConfigError(
      `cannot inspect ${path}: ${code ?? String(error)}; check its permissions`,
    );
  }
}
