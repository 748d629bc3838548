import { ConfigError } from "../platform/config_error.ts";
import { readFileFacts } from "./file_facts.ts";

/**
 * Checks compositor-ipc.md §4.1 step 1: the runtime dir is a real directory (not a symlink)
 * owned by `uid` and neither group- nor other-accessible (the usual 0700). In that directory
 * the user may unlink any entry, even root's, so cleanup must not run anywhere else. Throws a
 * {@link ConfigError} that says what is wrong and how to fix it; a shared directory (sticky,
 * world-writable, or someone else's, e.g. `/tmp`) is never "fixed" by a chmod: the user is
 * told to point `XDG_RUNTIME_DIR` at their own private directory instead.
 *
 * @example
 * ```ts
 * verifyRuntimeDir("/run/user/1000", 1000); // returns; throws for a 0755 or foreign dir
 * ```
 */
export function verifyRuntimeDir(runtimeDir: string, uid: number): void {
  const facts = readFileFacts(runtimeDir);
  if (facts === null) {
    throw new ConfigError(`XDG_RUNTIME_DIR ${runtimeDir} does not exist`);
  }
  if (facts.type !== "directory") {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} is a ${facts.type}, not a directory; point it at your own runtime directory`,
    );
  }
  const private_ = `XDG_RUNTIME_DIR must be your private 0700 directory (usually /run/user/${uid})`;
  if (facts.uid !== uid) {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} is owned by uid ${facts.uid}, not by you (uid ${uid}): ${private_}`,
    );
  }
  // A sticky or world-writable directory (/tmp) is shared by design: never advise a chmod.
  if ((facts.mode & 0o1000) !== 0 || (facts.mode & 0o002) !== 0) {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} is a shared directory (mode ${
        facts.mode.toString(8).padStart(4, "0")
      }): ${private_}`,
    );
  }
  if ((facts.mode & 0o077) !== 0) {
    throw new ConfigError(
      `XDG_RUNTIME_DIR ${runtimeDir} has mode ${
        facts.mode.toString(8).padStart(4, "0")
      }, must be 0700; fix it with chmod 0700 ${runtimeDir}`,
    );
  }
}
