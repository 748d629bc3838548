/**
 * kitty versions as tether reads them from a kitty installation: pure parsing and comparison,
 * no I/O (see installed_version.ts for where the text comes from).
 *
 * @module
 */

/** A kitty release: `[major, minor, patch]`. */
export type KittyVersion = readonly [number, number, number];

/**
 * `version: Version = Version(0, 26, 5)` (kitty 0.20 to at least 0.48) or the older
 * `version = (0, 14, 0)`, at the start of a line of `kitty/constants.py`.
 */
const CONSTANTS_VERSION =
  /^version(?:\s*:\s*Version)?\s*=\s*(?:Version)?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)/m;

/**
 * Reads the version kitty's own source declares in `kitty/constants.py`, or null when the text
 * holds no such line.
 *
 * @example
 * ```ts
 * parseKittyConstantsVersion("version: Version = Version(0, 26, 5)\n"); // [0, 26, 5]
 * ```
 */
export function parseKittyConstantsVersion(constantsPy: string): KittyVersion | null {
  const match = constantsPy.match(CONSTANTS_VERSION);
  if (match === null) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/**
 * Negative when `a` is older than `b`, 0 when equal, positive when newer.
 *
 * @example
 * ```ts
 * compareKittyVersions([0, 42, 1], [0, 42, 2]) < 0; // true
 * ```
 */
export function compareKittyVersions(a: KittyVersion, b: KittyVersion): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * `0.26.5`.
 *
 * @example
 * ```ts
 * formatKittyVersion([0, 26, 5]); // "0.26.5"
 * ```
 */
export function formatKittyVersion(version: KittyVersion): string {
  return version.join(".");
}

/** kitty's compiled core, loaded by every kitty process from its Python package directory. */
const CORE_MODULE = /^(\/.*\/kitty)\/fast_data_types\.so( \(deleted\))?$/;

/** Where a running kitty's Python package lives, as its memory map shows. */
export type KittyPackageLocation =
  | { kind: "found"; dir: string }
  /** The mapped core was deleted or replaced (kitty upgraded while running). */
  | { kind: "replaced" }
  /** No kitty core in the map (not kitty, or a frozen build that embeds it). */
  | { kind: "absent" };

/**
 * Finds the `kitty` package directory a running kitty loaded, from `/proc/<pid>/maps` text: the
 * directory of its mapped `kitty/fast_data_types.so` (`/usr/lib/kitty/kitty` on Debian). That is
 * the exact installation the process runs, whatever the libdir layout or launcher.
 *
 * @example
 * ```ts
 * kittyPackageFromMaps("7f.. r-xp 0 08:01 42  /usr/lib/kitty/kitty/fast_data_types.so\n");
 * // { kind: "found", dir: "/usr/lib/kitty/kitty" }
 * ```
 */
export function kittyPackageFromMaps(maps: string): KittyPackageLocation {
  for (const line of maps.split("\n")) {
    // address perms offset dev inode pathname — the pathname may contain spaces.
    const fields = line.match(/^\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+(.*)$/);
    const match = fields?.[1]?.match(CORE_MODULE);
    if (!match) continue;
    return match[2] ? { kind: "replaced" } : { kind: "found", dir: match[1]! };
  }
  return { kind: "absent" };
}
