import { lstatSync, mkdirSync, realpathSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "./config_error.ts";
import { type Environment, runtimeDir } from "./paths.ts";

/**
 * Checks compositor-ipc.md §4.1 step 1 and returns the runtime dir's canonical path: a real
 * directory (not a symlink, in any spelling: `link/`, `link/.` and `link//` are refused like
 * `link`) owned by `uid` and neither group- nor other-accessible (the usual 0700). In that
 * directory the user may unlink any entry, even root's, so cleanup must not run anywhere else,
 * and daemons must not create sockets anywhere else. The path returned is `realpath`'s (an
 * ancestor such as `/var/run -> /run` resolved), so every later path comparison is made on one
 * spelling. Throws a {@link ConfigError} that says what is wrong and how to fix it; a shared
 * directory (sticky, world-writable or someone else's, e.g. `/tmp`) is never to be chmodded:
 * the message asks for the user's own private runtime directory instead.
 *
 * @example
 * ```ts
 * verifyRuntimeDir("/run/user/1000/", 1000); // "/run/user/1000"; throws for a 0755 or foreign dir
 * ```
 */
export function verifyRuntimeDir(runtimeDir: string, uid: number): string {
  // resolve() drops a trailing slash, `.` and `//`: lstat then sees the last component itself
  // (lstat("link/") follows the link).
  const given = resolve(runtimeDir);
  verifyPrivateDirectory(given, uid, "XDG_RUNTIME_DIR " + runtimeDir);
  let canonical: string;
  try {
    canonical = realpathSync(given);
  } catch (error) {
    throw new ConfigError(`cannot resolve XDG_RUNTIME_DIR ${runtimeDir}: ${errorCode(error)}`);
  }
  if (canonical !== given) verifyPrivateDirectory(canonical, uid, "XDG_RUNTIME_DIR " + canonical);
  return canonical;
}

/**
 * Verifies the runtime dir (as {@link verifyRuntimeDir}) and `$XDG_RUNTIME_DIR/tether`, creating
 * the latter 0700 when missing, and returns its canonical path. Everything a daemon creates
 * (control sockets, state files) goes there, so both are checked before anything is created:
 * owned by `uid`, 0700, a directory and not a symlink; a file or a foreign directory at
 * `tether` is a {@link ConfigError} (exit 2) saying what to remove.
 *
 * @example
 * ```ts
 * prepareTetherRuntimeDir({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000); // "/run/user/1000/tether"
 * ```
 */
export function prepareTetherRuntimeDir(env: Environment, uid: number): string {
  return ensurePrivateDir(join(verifyRuntimeDir(runtimeDir(env), uid), "tether"), uid);
}

/**
 * Creates `dir` (mode 0700, parent must exist) unless it exists, then checks it as the runtime
 * dir is checked: a directory, not a symlink, owned by `uid`, no group/other access. Never
 * chmods: a chmod would follow a planted symlink to its target. Returns `dir`.
 */
export function ensurePrivateDir(dir: string, uid: number): string {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (errorCode(error) !== "EEXIST") {
      throw new ConfigError(`cannot create ${dir}: ${errorCode(error)}`);
    }
  }
  verifyPrivateDirectory(dir, uid, dir);
  return dir;
}

/** lstat-based check of one directory: exists, not a symlink, a directory, ours, 0700. */
function verifyPrivateDirectory(path: string, uid: number, label: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    const code = errorCode(error);
    throw new ConfigError(
      code === "ENOENT" ? `${label} does not exist` : `cannot inspect ${label}: ${code}`,
    );
  }
  if (!stats.isDirectory()) {
    const type = stats.isSymbolicLink() ? "symlink" : stats.isFile() ? "file" : "special file";
    throw new ConfigError(
      `${label} is a ${type}, not a directory; ${
        label.startsWith("XDG_RUNTIME_DIR")
          ? "point XDG_RUNTIME_DIR at your own runtime directory"
          : `remove it (tether keeps its sockets in a directory there)`
      }`,
    );
  }
  const mode = stats.mode & 0o7777;
  // Someone else's, sticky or world-writable (/tmp) is shared by design: never advise a chmod
  // of it; the runtime dir must be the user's own private one instead.
  const isRuntimeDir = label.startsWith("XDG_RUNTIME_DIR");
  const privateDir =
    `XDG_RUNTIME_DIR must be your private 0700 directory (usually /run/user/${uid})`;
  if (stats.uid !== uid) {
    throw new ConfigError(
      `${label} is owned by uid ${stats.uid}, not by you (uid ${uid}); ${
        isRuntimeDir ? privateDir : "tether only works in your own runtime directory"
      }`,
    );
  }
  if (isRuntimeDir && ((mode & 0o1000) !== 0 || (mode & 0o002) !== 0)) {
    throw new ConfigError(
      `${label} is a shared directory (mode ${mode.toString(8).padStart(4, "0")}): ${privateDir}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `${label} has mode ${
        mode.toString(8).padStart(4, "0")
      }, must be 0700; fix it with chmod 0700 ${label.replace(/^XDG_RUNTIME_DIR /, "")}`,
    );
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error);
}
