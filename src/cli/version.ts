import process from "node:process";
import denoConfig from "../../deno.json" with { type: "json" };

/** The version printed by `tether --version` (single source: deno.json). */
export const VERSION: string = denoConfig.version;

/**
 * The git commit the binary was built from: `scripts/build.sh` writes it over this
 * placeholder in the bundle. Left as is when tether runs from source.
 */
const BAKED_COMMIT = "__TETHER_BUILD_COMMIT__";

/** What `tether --version` reports. */
export interface VersionInfo {
  /** Always `tether`. */
  name: "tether";
  /** From deno.json. */
  version: string;
  /** The commit baked in by scripts/build.sh, or `source` when run from source. */
  commit: string;
  /** The runtime executing tether: `bun` (the compiled binary), `deno`, or `node`. */
  runtime: string;
  /** That runtime's version. */
  runtime_version: string;
}

/** The version, build commit and runtime of this process. */
export function versionInfo(): VersionInfo {
  const versions = process.versions as Record<string, string | undefined>;
  const runtime = versions.bun !== undefined
    ? "bun"
    : versions.deno !== undefined
    ? "deno"
    : "node";
  return {
    name: "tether",
    version: VERSION,
    commit: BAKED_COMMIT.includes("TETHER_BUILD_COMMIT") ? "source" : BAKED_COMMIT,
    runtime,
    runtime_version: versions[runtime] ?? "unknown",
  };
}

/**
 * `tether 0.1.0 (3f2a9c1d4b5e, bun 1.4.5)`.
 *
 * @example
 * ```ts
 * versionLine(versionInfo()); // "tether 0.1.0 (source, deno 2.9.6)" when run from source
 * ```
 */
export function versionLine(info: VersionInfo): string {
  return `tether ${info.version} (${info.commit}, ${info.runtime} ${info.runtime_version})`;
}

/**
 * Whether the options before the subcommand ask for the version (`-V`, `--version`), and for
 * JSON (`--json`): `tether --json --version` and `tether --version --json` both print JSON.
 */
export function versionRequest(args: readonly string[]): { json: boolean } | null {
  let asked = false;
  let json = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === "--log-level") index++;
    else if (arg === "--version" || arg === "-V") asked = true;
    else if (arg === "--json") json = true;
    else if (!arg.startsWith("-") || arg === "--") break;
  }
  return asked ? { json } : null;
}
