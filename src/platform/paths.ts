import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { ConfigError } from "./config_error.ts";

/** Environment variables as a plain record (injectable in tests; defaults to `process.env`). */
export type Environment = Record<string, string | undefined>;

/**
 * The user's runtime directory, `$XDG_RUNTIME_DIR`. A missing, relative or non-UTF-8 value is a
 * {@link ConfigError} naming the variable: every IPC socket tether knows lives below it.
 *
 * @example
 * ```ts
 * runtimeDir({ XDG_RUNTIME_DIR: "/run/user/1000" }); // "/run/user/1000"
 * ```
 */
export function runtimeDir(env: Environment = process.env): string {
  let dir: string | undefined;
  try {
    dir = env.XDG_RUNTIME_DIR;
  } catch {
    // Deno's process.env throws for a value that is not valid UTF-8 (Bun decodes it lossily).
    throw new ConfigError("XDG_RUNTIME_DIR is not valid UTF-8; tether uses only UTF-8 paths");
  }
  if (dir === undefined || dir === "") {
    throw new ConfigError(
      "XDG_RUNTIME_DIR is not set; run tether inside your login session or export XDG_RUNTIME_DIR=/run/user/$(id -u)",
    );
  }
  // The runtime decodes the environment as UTF-8, replacing invalid bytes with U+FFFD: such a
  // value names a different directory than the one the user set.
  if (dir.includes("\uFFFD")) {
    throw new ConfigError(
      `XDG_RUNTIME_DIR is not valid UTF-8 (${JSON.stringify(dir)}); tether uses only UTF-8 paths`,
    );
  }
  if (!isAbsolute(dir)) {
    throw new ConfigError(`XDG_RUNTIME_DIR must be an absolute path, got ${JSON.stringify(dir)}`);
  }
  return dir;
}

/** tether's own runtime directory, `$XDG_RUNTIME_DIR/tether` (control sockets, state files). */
export function tetherRuntimeDir(env: Environment = process.env): string {
  return join(runtimeDir(env), "tether");
}

/** The user's home directory: `$HOME`, else the passwd entry. */
export function homeDir(env: Environment = process.env): string {
  return env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
}

/** `$XDG_CONFIG_HOME` when absolute, else `~/.config` (per the XDG base directory spec). */
export function configHome(env: Environment = process.env): string {
  const dir = env.XDG_CONFIG_HOME;
  return dir && isAbsolute(dir) ? dir : join(homeDir(env), ".config");
}

/** tether's config directory, `$XDG_CONFIG_HOME/tether`. */
export function tetherConfigDir(env: Environment = process.env): string {
  return join(configHome(env), "tether");
}
