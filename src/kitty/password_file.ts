import { stat } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../platform/config_error.ts";
import { configHome, type Environment } from "../platform/paths.ts";
import { readFileSafely } from "../platform/safe_file.ts";
import { ConnectionError } from "../resilience/errors.ts";

/**
 * Where tether reads the kitty remote-control password by default:
 * `$XDG_CONFIG_HOME/kitty/rc.password` (normally `~/.config/kitty/rc.password`).
 */
export function defaultPasswordFile(env: Environment = process.env): string {
  return join(configHome(env), "kitty", "rc.password");
}

/**
 * Reads the password (first line, surrounding whitespace trimmed). Every problem is a
 * `not_configured` {@link ConnectionError} that says what to do, and none of them quotes the
 * file's content: a missing file (run `tether kitty setup`), a file group or others can read or
 * write (chmod 600), or an empty file.
 *
 * @example
 * ```ts
 * const password = await readPasswordFile(defaultPasswordFile());
 * ```
 */
export async function readPasswordFile(path: string): Promise<string> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ConnectionError(
      "not_configured",
      code === "ENOENT"
        ? `no kitty password file at ${path}; run \`tether kitty setup\``
        : `cannot read the kitty password file ${path} (${code ?? "error"})`,
      { cause: error },
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new ConnectionError(
      "not_configured",
      `the kitty password file ${path} is accessible by other users (mode ${
        (mode & 0o777).toString(8).padStart(4, "0")
      }); run \`chmod 600 ${path}\``,
    );
  }
  let text: string;
  try {
    // A regular file of ours, opened without blocking, at most 4 KiB (a FIFO there must not
    // hang the tracker, nor /dev/zero fill its memory).
    text = readFileSafely(path, {
      maxBytes: 4096,
      followSymlinks: true,
      ownerUid: process.getuid!(),
      label: "kitty password file",
    }) ?? "";
  } catch (error) {
    throw new ConnectionError(
      "not_configured",
      error instanceof ConfigError ? error.message : `cannot read the kitty password file ${path}`,
      { cause: error },
    );
  }
  const password = (text.split("\n")[0] ?? "").trim();
  if (password === "") {
    throw new ConnectionError(
      "not_configured",
      `the kitty password file ${path} is empty; run \`tether kitty setup --force\``,
    );
  }
  return password;
}
