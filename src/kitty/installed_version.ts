import { readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_PROC_ROOT, readStartTimeMs } from "../platform/proc.ts";
import {
  kittyPackageFromMaps,
  type KittyVersion,
  parseKittyConstantsVersion,
} from "./kitty_version.ts";

/** The version a running kitty declares, and the file it was read from. */
export interface RunningKittyVersion {
  /** `[major, minor, patch]`. */
  version: KittyVersion;
  /** The `constants.py` read, as the kitty process sees the path. */
  source: string;
}

/** Why {@link readRunningKittyVersion} found no version (shown in `tether focus status`). */
export interface UnknownKittyVersion {
  /** What stood in the way, in words. */
  unknownBecause: string;
}

/**
 * Reads the exact version of the kitty running as `pid` without talking to it: finds the
 * `kitty/fast_data_types.so` its process mapped (`/proc/<pid>/maps`), then reads
 * `constants.py` from the same directory through `/proc/<pid>/root` (the process's own view
 * of the file system), where kitty's source declares `version: Version = Version(0, 26, 5)`.
 * No `kitty @`, no request, no side effect. The paths in `maps` are relative to the *reader's*
 * root, so for a kitty in a chroot (`/proc/<pid>/root` → `/srv/sid`) they read
 * `/srv/sid/usr/lib/kitty/...`: that prefix is taken off before joining onto `root`.
 *
 * Answers "unknown" (the caller falls back to asking kitty) when the map is unreadable, kitty
 * runs from a frozen build without a `constants.py`, the mapped core was replaced, or
 * `constants.py` changed after the process started (an upgrade while kitty runs: the file then
 * describes the new kitty, not the running one).
 *
 * @example
 * ```ts
 * await readRunningKittyVersion(4121);
 * // { version: [0, 26, 5], source: "/usr/lib/kitty/kitty/constants.py" }
 * ```
 */
export async function readRunningKittyVersion(
  pid: number,
  procRoot: string = DEFAULT_PROC_ROOT,
): Promise<RunningKittyVersion | UnknownKittyVersion> {
  const processDir = join(procRoot, String(pid));
  let maps: string;
  try {
    maps = await readFile(join(processDir, "maps"), "utf8");
  } catch (error) {
    return { unknownBecause: `its memory map is unreadable (${errorCode(error)})` };
  }
  const location = kittyPackageFromMaps(maps);
  if (location.kind === "replaced") {
    return { unknownBecause: "its kitty installation was replaced while it runs" };
  }
  if (location.kind === "absent") {
    return { unknownBecause: "no kitty/fast_data_types.so in its memory map (a frozen build?)" };
  }
  const source = join(await asSeenByProcess(location.dir, processDir), "constants.py");
  const path = join(processDir, "root", source);
  try {
    const [text, info, startTimeMs] = await Promise.all([
      readFile(path, "utf8"),
      stat(path),
      readStartTimeMs(pid, procRoot),
    ]);
    if (startTimeMs === null) return { unknownBecause: "the process is gone" };
    if (info.ctimeMs > startTimeMs) {
      return { unknownBecause: `${source} changed after the process started (an upgrade?)` };
    }
    const version = parseKittyConstantsVersion(text);
    if (version === null) return { unknownBecause: `${source} declares no version` };
    return { version, source };
  } catch (error) {
    return { unknownBecause: `${source} is unreadable (${errorCode(error)})` };
  }
}

/**
 * `dir` (from maps, relative to this reader's root) as the process sees it: without the
 * process's root directory when that is a prefix (a chroot). An unreadable root link (another
 * user's process) leaves `dir` as it is.
 */
async function asSeenByProcess(dir: string, processDir: string): Promise<string> {
  let processRoot: string;
  try {
    processRoot = await readlink(join(processDir, "root"));
  } catch {
    return dir;
  }
  if (processRoot === "/" || !dir.startsWith(`${processRoot}/`)) return dir;
  return dir.slice(processRoot.length);
}

function errorCode(error: unknown): string {
  return (error as { code?: string } | null)?.code ?? String(error);
}
