import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { ConfigError } from "./config_error.ts";

/** Options for {@link writeFileSafely}. */
export interface WriteSafelyOptions {
  /** Permission bits of the new file. Default 0o600. */
  mode?: number;
  /** Who may own a file being replaced. Default: the current uid. */
  uid?: number;
}

/**
 * Writes `text` to `path` the one way tether writes files: into a new temp file in the same
 * directory (created `O_EXCL|O_NOFOLLOW` with `mode`, default 0600, so nobody else can have it
 * open and no symlink can redirect it), fsync'd, then renamed over `path`. The old file, if
 * any, is never written through: a symlink there, a non-regular file, or a file owned by
 * someone else is refused with a {@link ConfigError} saying so, and left as it is. A reader
 * sees the old content or the new, never a mix and never the new content with the old mode.
 *
 * @example
 * ```ts
 * writeFileSafely("/home/me/.config/kitty/rc.password", password + "\n"); // 0600
 * writeFileSafely(unitPath, unitText, { mode: 0o644 });
 * ```
 */
export function writeFileSafely(path: string, text: string, options: WriteSafelyOptions = {}) {
  const mode = options.mode ?? 0o600;
  const uid = options.uid ?? process.getuid!();
  const existing = lstatOrNull(path);
  if (existing !== null) {
    const problem = existing.isSymbolicLink()
      ? "is a symlink (tether does not write through symlinks)"
      : !existing.isFile()
      ? "is not a regular file"
      : existing.uid !== uid
      ? `is owned by uid ${existing.uid}, not by you (uid ${uid})`
      : null;
    if (problem !== null) {
      throw new ConfigError(`${path} ${problem}; remove it or choose another path`);
    }
  }
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(
      temporary,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      mode,
    );
  } catch (error) {
    throw new ConfigError(`cannot write ${path}: ${errorCode(error)}`);
  }
  try {
    fchmodSync(fd, mode); // the umask may have taken bits away
    const bytes = new TextEncoder().encode(text);
    for (let offset = 0; offset < bytes.length;) {
      offset += writeSync(fd, bytes, offset, bytes.length - offset);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(temporary);
    } catch {
      // not there
    }
    throw new ConfigError(`cannot write ${path}: ${errorCode(error)}`);
  }
}

/** Options for {@link readFileSafely}. */
export interface ReadSafelyOptions {
  /** Larger files are refused before anything is parsed. */
  maxBytes: number;
  /** Follow a symlink at `path` (a dotfiles-managed config) or refuse it (tether's own state). */
  followSymlinks: boolean;
  /** Refuse a file owned by anyone but this uid or root. Default: no ownership check. */
  ownerUid?: number;
  /** Refuse a file group or others may write. Default false. */
  refuseSharedWrite?: boolean;
  /** What the file is, for messages ("config file"). Default "file". */
  label?: string;
}

/**
 * Reads a text file without being made to hang, balloon or trust someone else: opened with
 * `O_NONBLOCK` (a FIFO cannot block the open) and, unless `followSymlinks`, `O_NOFOLLOW`; then
 * `fstat` on that descriptor (no race with a swapped path) must say a regular file no larger
 * than `maxBytes` (a device, FIFO or socket is refused), owned by `ownerUid` or root and not
 * group/world-writable when asked; and at most `maxBytes` are read even if it grows meanwhile.
 * Returns null when the file does not exist; every refusal is a {@link ConfigError} with the
 * reason.
 *
 * @example
 * ```ts
 * readFileSafely(configPath, { maxBytes: 1 << 20, followSymlinks: true, ownerUid: 1000, refuseSharedWrite: true });
 * ```
 */
export function readFileSafely(path: string, options: ReadSafelyOptions): string | null {
  const label = options.label ?? "file";
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NONBLOCK |
        (options.followSymlinks ? 0 : constants.O_NOFOLLOW),
    );
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === "ELOOP") throw new ConfigError(`${label} ${path} is a symlink; refused`);
    throw new ConfigError(`cannot read ${label} ${path}: ${code}`);
  }
  try {
    const stats = fstatSync(fd);
    const problem = refusal(stats, options);
    if (problem !== null) throw new ConfigError(`${label} ${path} ${problem}; refused`);
    const buffer = new Uint8Array(Math.min(stats.size, options.maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > options.maxBytes) {
      throw new ConfigError(
        `${label} ${path} is larger than ${options.maxBytes} bytes (it grew while read); refused`,
      );
    }
    return new TextDecoder().decode(buffer.subarray(0, length));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot read ${label} ${path}: ${errorCode(error)}`);
  } finally {
    closeSync(fd);
  }
}

function refusal(stats: Stats, options: ReadSafelyOptions): string | null {
  if (!stats.isFile()) {
    const type = stats.isFIFO()
      ? "a FIFO"
      : stats.isCharacterDevice() || stats.isBlockDevice()
      ? "a device"
      : stats.isSocket()
      ? "a socket"
      : stats.isDirectory()
      ? "a directory"
      : "not a regular file";
    return `is ${type}, not a regular file`;
  }
  if (stats.size > options.maxBytes) {
    return `is ${stats.size} bytes, more than the ${options.maxBytes} allowed`;
  }
  if (options.ownerUid !== undefined && stats.uid !== options.ownerUid && stats.uid !== 0) {
    return `is owned by uid ${stats.uid}, not by you (uid ${options.ownerUid}) or root`;
  }
  if (options.refuseSharedWrite && (stats.mode & 0o022) !== 0) {
    return `is writable by ${(stats.mode & 0o020) !== 0 ? "its group" : "others"} (mode ${
      (stats.mode & 0o777).toString(8).padStart(4, "0")
    }); run chmod go-w on it`;
  }
  return null;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw new ConfigError(`cannot inspect ${path}: ${errorCode(error)}`);
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
